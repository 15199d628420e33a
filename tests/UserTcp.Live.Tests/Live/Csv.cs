namespace UserTcp.Live.Tests.Live;

/// <summary>A CSV file with a header row as dictionaries (no quoting: the harness writes none).</summary>
internal static class Csv
{
    public static List<Dictionary<string, string>> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        string[] header = lines[0].Split(',');
        return lines.Skip(1).Select(line =>
        {
            string[] cells = line.Split(',');
            Assert.Equal(header.Length, cells.Length);
            return header.Zip(cells).ToDictionary(pair => pair.First, pair => pair.Second);
        }).ToList();
    }
}
