namespace UserTcp.Testbed.Labs;

/// <summary>
/// The lab's kernel server for uploads: nginx-light has the DAV module, but its PUT writes the body to a file first, and a
/// POST to a static file is answered and discarded before the body is in, so neither proves what arrived. This is a small
/// python3 server (upload-sink.py, embedded in this assembly and written to the state directory) on
/// <see cref="Port"/> of the server's address that reads the whole body with recv_into on a 1 MiB buffer and only then
/// answers 200 with its byte count and, under <see cref="UploadPath"/>, its SHA-256; under <see cref="CountPath"/> the
/// count only, because hashing (~1.8 GB/s on one core here) would cap a fast upload. Ceiling measured with curl -T:
/// see README's lab section.
/// </summary>
internal static class UploadSink
{
    public const int Port = 8080;
    /// <summary>Count and SHA-256 of the body.</summary>
    public const string UploadPath = "/upload";
    /// <summary>Count only: what the throughput comparison uses.</summary>
    public const string CountPath = "/count";
    public const string BaseUrl = "http://" + Lab.ServerIp + ":8080";

    /// <summary>The sink's base URL on a lab whose server is <paramref name="serverIp"/>.</summary>
    public static string BaseUrlOn(string serverIp) => $"http://{serverIp}:{Port}";

    private const string ScriptResource = "upload-sink.py";

    internal static string ScriptFile(LabNames names) => Path.Combine(names.StateDirectory, ScriptResource);
    internal static string PidFile(LabNames names) => Path.Combine(names.StateDirectory, "upload-sink.pid");
    internal static string LogFile(LabNames names) => Path.Combine(names.StateDirectory, "upload-sink.log");

    /// <summary>Starts the sink in the server namespace on <paramref name="serverIp"/> (listening before it detaches) and returns its pid.</summary>
    public static int Start(LabNames names, string serverIp)
    {
        string script = ScriptFile(names);
        using (var resource = typeof(UploadSink).Assembly.GetManifestResourceStream(ScriptResource)
                              ?? throw new LabException($"{ScriptResource} is missing from {typeof(UploadSink).Assembly.GetName().Name}"))
        using (var file = File.Create(script))
            resource.CopyTo(file);
        Tool.RunIn(names.ServerNamespace, ["python3", script, serverIp, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), PidFile(names), LogFile(names)]);
        return Lab.AwaitDaemon("the upload sink", PidFile(names), LogFile(names), pid => IsRunning(names, pid));
    }

    /// <summary>True when <paramref name="pid"/> is this lab's sink, not a recycled pid.</summary>
    public static bool IsRunning(LabNames names, int pid) => LabProcesses.IsRunningWith(pid, "", ScriptFile(names)); // python3 may be a pyenv shim: any interpreter path

    /// <summary>Ends the sink by its pid file, if it runs (removing the namespace would end it too; this does not depend on it).</summary>
    public static void Stop(LabNames names)
    {
        if (File.Exists(PidFile(names)) && int.TryParse(File.ReadAllText(PidFile(names)), out int pid))
            LabProcesses.Terminate(() => IsRunning(names, pid) ? [pid] : [], $"upload sink of lab {names.Name}");
    }
}
