using System.Globalization;

namespace UserTcp.Cli.Labs;

/// <summary>
/// What <see cref="Lab.Up"/> makes. <c>up</c> is declarative: the lab afterwards is exactly what these options say,
/// so leaving <see cref="Rate"/> out of a second <c>up</c> removes an earlier rate limit.
/// </summary>
public sealed record LabOptions
{
    public const string DefaultFiles = "1M,16M";

    public string Name { get; init; } = LabNames.DefaultName;

    /// <summary>TSO, GSO, GRO and checksum offloads on both veth ends.</summary>
    public bool Offload { get; init; } = true;

    /// <summary>Percent of the IPv4 packets the server sends into the veth that are dropped (0..100, steps of 0.01).</summary>
    public decimal LossPercent { get; init; }

    /// <summary>Percent of the IPv4 packets arriving at the server from the veth that are dropped (0..100, steps of 0.01).</summary>
    public decimal LossUpPercent { get; init; }

    /// <summary>A tbf rate on the server's veth egress such as <c>100mbit</c> (see <see cref="LabRate"/>); null for none.</summary>
    public string? Rate { get; init; }

    /// <summary>Comma-separated file sizes nginx serves, each at <c>/SIZE</c> (see <see cref="LabFileSpec"/>).</summary>
    public string Files { get; init; } = DefaultFiles;
}

/// <summary><see cref="LabOptions"/> checked and parsed; loss in hundredths of a percent, the unit of the nftables rule.</summary>
internal sealed record LabSettings(LabNames Names, bool Offload, int LossHundredths, int LossUpHundredths, LabRate? Rate, IReadOnlyList<LabFileSpec> Files)
{
    /// <summary>Every problem of <paramref name="options"/> in one <see cref="LabException"/>, before anything is touched.</summary>
    public static LabSettings From(LabOptions options)
    {
        var problems = new List<string>();
        if (LabNames.Problem(options.Name) is { } nameProblem) problems.Add(nameProblem);
        int loss = Hundredths("--loss", options.LossPercent, problems);
        int lossUp = Hundredths("--loss-up", options.LossUpPercent, problems);
        LabRate? rate = null;
        if (options.Rate is not null)
        {
            if (LabRate.TryParse(options.Rate, out var parsed, out string rateProblem)) rate = parsed;
            else problems.Add(rateProblem);
        }
        if (!LabFileSpec.TryParseList(options.Files, out var files, out string filesProblem)) problems.Add(filesProblem);
        if (problems.Count > 0) throw new LabException(string.Join("; ", problems));
        return new LabSettings(LabNames.For(options.Name), options.Offload, loss, lossUp, rate, files);
    }

    public static decimal Percent(int hundredths) => hundredths / 100m;

    private static int Hundredths(string option, decimal percent, List<string> problems)
    {
        if (percent is < 0 or > 100)
        {
            problems.Add($"{option} {percent.ToString(CultureInfo.InvariantCulture)} is outside 0..100 (percent)");
            return 0;
        }
        decimal hundredths = percent * 100;
        if (hundredths != decimal.Truncate(hundredths))
        {
            problems.Add($"{option} {percent.ToString(CultureInfo.InvariantCulture)} is finer than the rule's resolution of 0.01 percent");
            return 0;
        }
        return (int)hundredths;
    }
}
