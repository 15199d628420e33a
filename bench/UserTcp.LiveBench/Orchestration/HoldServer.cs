using System.Diagnostics;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The memory measurement's peer: a small python3 asyncio server in the lab's server namespace that accepts connections
/// and holds them open. One byte from the client steers it: <c>a</c> starts sending <c>rate</c> bytes per second on that
/// connection (in ten slices a second), <c>i</c> stops; at the client's FIN it closes too, so the client's side goes
/// through TIME-WAIT. A kernel listener, so nothing on the server's side is ours.
/// </summary>
internal sealed class HoldServer : IDisposable
{
    public const int Port = 9000;

    private const string Script = """
        import asyncio, resource, sys
        port, rate = int(sys.argv[1]), int(sys.argv[2])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        chunk = b"x" * max(1, rate // 10)

        async def stream(writer):
            while True:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(0.1)

        async def serve(reader, writer):
            sender = None
            try:
                while True:
                    data = await reader.read(64)
                    if not data:
                        break
                    if b"a" in data and sender is None:
                        sender = asyncio.ensure_future(stream(writer))
                    if b"i" in data and sender is not None:
                        sender.cancel()
                        sender = None
            except ConnectionError:
                pass
            finally:
                if sender is not None:
                    sender.cancel()
                writer.close()

        async def main():
            server = await asyncio.start_server(serve, "0.0.0.0", port, backlog=4096, reuse_address=True)
            print("ready", flush=True)
            async with server:
                await server.serve_forever()

        asyncio.run(main())
        """;

    private const int KeptErrorLines = 20;
    private readonly Process _process;
    private readonly Queue<string> _errors = new();
    private int _errorLines;

    private HoldServer(Process process) => _process = process;

    /// <summary>What the server wrote to stderr (the last lines, and how many there were), empty when nothing.</summary>
    public string Errors
    {
        get
        {
            lock (_errors) return _errorLines == 0 ? "" : $"{_errorLines} lines on stderr, the last: " + string.Join(" | ", _errors);
        }
    }

    /// <summary>Starts the server in <paramref name="lab"/>'s server namespace, each active connection at <paramref name="rate"/> bytes/s.</summary>
    public static HoldServer Start(LabInfo lab, int rate)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "netns", "exec", lab.ServerNetns, "python3", "-c", Script, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), rate.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new BenchException("could not start the hold server");
        var server = new HoldServer(process);
        // stderr is read as it comes: python blocks on a full pipe, and then stops closing connections (seen with 10,000).
        process.ErrorDataReceived += (_, e) => server.OnError(e.Data);
        process.BeginErrorReadLine();
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(10)) || ready.Result != "ready")
        {
            server.Dispose();
            throw new BenchException($"the hold server did not start: {server.Errors}");
        }
        return server;
    }

    private void OnError(string? line)
    {
        if (line is null) return;
        lock (_errors)
        {
            _errorLines++;
            _errors.Enqueue(line);
            if (_errors.Count > KeptErrorLines) _errors.Dequeue();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
