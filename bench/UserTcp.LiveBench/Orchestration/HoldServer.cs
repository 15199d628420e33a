using System.Diagnostics;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The memory measurement's peer: a small python3 asyncio server in the lab's server namespace that accepts connections
/// and holds them open. One byte from the client steers it: <c>a</c> starts sending <c>rate</c> bytes per second on that
/// connection (a quarter of it every 250 ms), <c>i</c> stops; at the client's FIN it closes too, so the client's side goes
/// through TIME-WAIT. A kernel listener, so nothing on the server's side is ours.
/// <para>
/// Connections are asyncio protocols (callbacks, no task per connection) and one loop paces every active connection:
/// a task per connection that wrote, awaited drain and slept ten times a second did not keep up at 10,000 connections
/// (they got 1 to 12 KiB/s of the 64 asked). Four larger slices a second also mean fewer system calls than ten.
/// A connection whose last slice is still queued in the server (the client does not read) is skipped, not queued more.
/// </para>
/// </summary>
internal sealed class HoldServer : IDisposable
{
    public const int Port = 9000;

    private const string Script = """
        import asyncio, resource, sys
        port, rate = int(sys.argv[1]), int(sys.argv[2])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        chunk = b"x" * max(1, rate // 4)
        active = set()

        class Hold(asyncio.Protocol):
            def connection_made(self, transport):
                self.transport = transport

            def data_received(self, data):
                if b"a" in data:
                    active.add(self.transport)
                if b"i" in data:
                    active.discard(self.transport)

            def eof_received(self):
                active.discard(self.transport)
                return False  # close our side: the client's FIN came first, so TIME-WAIT is the client's

            def connection_lost(self, exc):
                active.discard(self.transport)

        async def pace():
            loop = asyncio.get_running_loop()
            tick = loop.time()
            while True:
                tick += 0.25
                await asyncio.sleep(max(0, tick - loop.time()))
                for transport in list(active):
                    if transport.get_write_buffer_size() == 0:
                        transport.write(chunk)

        async def main():
            server = await asyncio.get_running_loop().create_server(Hold, "0.0.0.0", port, backlog=4096, reuse_address=True)
            pacer = asyncio.ensure_future(pace())
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
