using System.Diagnostics;
using UserTcp.Fast.Native;

namespace UserTcp.LiveBench.Measurement;

/// <summary>A tracing or capturing tool (strace, tcpdump) that writes its summary when interrupted.</summary>
internal static class ToolProcess
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Sends SIGINT (what Ctrl+C sends), then waits for the tool to exit and for its redirected output to be read to the end.</summary>
    public static void Interrupt(Process tool, string name)
    {
        if (Libc.Kill(tool.Id, Libc.SIGINT) != 0) throw new InvalidOperationException($"kill({tool.Id}, {Libc.SIGINT}) failed: errno {Libc.LastErrno}");
        if (!tool.WaitForExit(ExitTimeout)) throw new BenchException($"{name} did not stop");
        tool.WaitForExit();
    }
}
