using System.Globalization;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// One figure of the serve benchmark, a row of data/serve.csv: which test (<c>requests</c>, <c>bulk</c>, <c>accept</c>,
/// <c>idle</c>, <c>flood</c>), which server, the case (file size, concurrent connections, offloads), the round and the
/// metric with its value.
/// </summary>
internal sealed record ServeSample(string Test, string Server, string Size, int Connections, bool Offload, int Round, string Metric, double Value)
{
    public const string Header = "test,server,size,connections,offload,round,metric,value";

    public string ToCsv() => string.Join(',', Test, Server, Size, Connections.ToString(CultureInfo.InvariantCulture), Offload ? "on" : "off",
                                         Round.ToString(CultureInfo.InvariantCulture), Metric, Value.ToString("R", CultureInfo.InvariantCulture));

    public static List<ServeSample> Read(string path) => File.ReadLines(path).Skip(1).Where(line => line.Length > 0).Select(line =>
    {
        string[] f = line.Split(',');
        if (f.Length != 8) throw new BenchException($"{path}: '{line}' is not a row of {Header}");
        return new ServeSample(f[0], f[1], f[2], int.Parse(f[3], CultureInfo.InvariantCulture), f[4] == "on", int.Parse(f[5], CultureInfo.InvariantCulture),
                               f[6], double.Parse(f[7], CultureInfo.InvariantCulture));
    }).ToList();
}
