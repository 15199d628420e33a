namespace UserTcp.LiveBench.Reports;

/// <summary>Writes a generated file whole or not at all (a temporary file renamed over it), making its folder first.</summary>
internal static class ReportFile
{
    public static void Write(string path, string text)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
