using System.Diagnostics;
using System.Globalization;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The idle-connection client: a python3 asyncio process in the lab's server namespace that opens <c>count</c> connections
/// to one server (256 handshakes at a time, each given 10 s), holds them without sending a byte, and closes them all when
/// told. It prints how many it holds, so a server that refused some is reported, not hidden.
/// </summary>
internal sealed class IdleHolder : IDisposable
{
    private const string Script = """
        import asyncio, resource, sys
        host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        held = []

        async def one():
            try:
                held.append(await asyncio.wait_for(asyncio.open_connection(host, port), 10))
            except Exception:
                pass

        async def main():
            for start in range(0, count, 256):
                await asyncio.gather(*(one() for _ in range(min(256, count - start))))
            print(f"held {len(held)}", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            for _, writer in held:
                writer.close()
            await asyncio.sleep(0.5)
            print("closed", flush=True)

        asyncio.run(main())
        """;

    private readonly Process _process;

    private IdleHolder(Process process) => _process = process;

    /// <summary>Opens the connections and returns once every handshake ended, with how many are held.</summary>
    public static (IdleHolder Holder, int Held) Open(LabInfo lab, string address, int port, int count)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "netns", "exec", lab.ServerNetns, "python3", "-c", Script, address, port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new BenchException("could not start the idle-connection client");
        var holder = new IdleHolder(process);
        var error = process.StandardError.ReadToEndAsync();
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromMinutes(3)) || line.Result is not { } held || !held.StartsWith("held ", StringComparison.Ordinal))
        {
            holder.Dispose();
            throw new BenchException($"the idle-connection client did not open its connections: {(error.Wait(TimeSpan.FromSeconds(2)) ? error.Result : "")}");
        }
        return (holder, int.Parse(held[5..], CultureInfo.InvariantCulture));
    }

    /// <summary>Closes every held connection and waits for the client to end.</summary>
    public void Close()
    {
        _process.StandardInput.WriteLine("close");
        _process.StandardInput.Flush();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(60))) throw new BenchException("the idle-connection client did not close its connections within 60 s");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
