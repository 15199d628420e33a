using UserTcp.Testbed.Fuzzing;

namespace UserTcp.Fast.Tests.Fuzz;

/// <summary>
/// Inputs the fuzz campaign found crashing (perf-results/fuzz.md), replayed through their target: two engine bugs, each
/// failing here before its fix.
/// </summary>
public class FuzzFindingsTests
{
    private static byte[] Finding(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fuzz", "Findings", name));

    /// <summary>
    /// SYN-SENT, the application writes, the peer's bare SYN makes it a simultaneous open (SYN-RECEIVED, our SYN not yet
    /// acknowledged): the engine sends the queued data at once (RFC 9293 §3.10.2 queues it until ESTABLISHED), the
    /// application closes (FIN-WAIT-1, SND.UNA still the ISS), and the retransmission timeout rewinds to SND.UNA = ISS and
    /// reads the send buffer at offset -1: ArgumentOutOfRangeException in ChunkedByteBuffer.CopyTo. 62 of the campaign's
    /// 65 crashes. Fixed: no data from SYN-RECEIVED, and a close there waits for ESTABLISHED (RFC 9293 §3.10.2, §3.10.4).
    /// </summary>
    [Fact]
    public void SimultaneousOpenWithQueuedDataSurvivesATimeout() =>
        FuzzTargets.Find("segments").Run(Finding("segments-simultaneous-open-data.bin"));

    /// <summary>
    /// A connection reaches TIME-WAIT with an out-of-order range still recorded after its buffers were released (4 bytes
    /// against a capacity of 0): ConnectionInvariants' "in-order + out-of-order bytes fit the receive buffer". 3 of 65.
    /// Fixed: releasing the receive buffer clears the ranges whose bytes were in it.
    /// </summary>
    [Fact]
    public void TimeWaitKeepsNoOutOfOrderRanges() =>
        FuzzTargets.Find("segments").Run(Finding("segments-time-wait-out-of-order.bin"));
}
