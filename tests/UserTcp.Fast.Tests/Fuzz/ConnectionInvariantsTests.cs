using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Testbed;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Fuzz;

/// <summary>The invariant checker the fuzz targets rely on fails on each kind of broken state (made-up control blocks).</summary>
public class ConnectionInvariantsTests
{
    private static readonly TcpControlBlockView Sound = new(
        TcpState.Established, SndUna: new SeqNum(1000), SndNxt: new SeqNum(2000), SndMax: new SeqNum(2000), SndWnd: 65535,
        RingSeq: new SeqNum(1000), FinQueued: false, RcvNxt: new SeqNum(5000), AdvertisedRightEdge: new SeqNum(70000),
        SendBuffered: 1000, SendLimit: 65536, SendCapacity: 65536, ReceiveBuffered: 100, ReceiveLimit: 65536, ReceiveCapacity: 65536,
        OutOfOrderRanges: 1, OutOfOrderBytes: 500, ScoreboardRanges: 0, Persisting: false,
        RetransmitAt: Instant.FromMilliseconds(1200), DelayedAckAt: Instant.Never, TimeWaitAt: Instant.Never, KeepAliveAt: Instant.Never);

    public static TheoryData<string> Broken => new(Cases.Keys);

    private static readonly Dictionary<string, TcpControlBlockView> Cases = new()
    {
        ["SND.UNA after SND.NXT"] = Sound with { SndUna = new SeqNum(2001), SndMax = new SeqNum(2001) },
        ["SND.NXT after SND.MAX"] = Sound with { SndNxt = new SeqNum(2001) },
        ["more in flight than buffered"] = Sound with { SendBuffered = 997 },
        ["negative window"] = Sound with { SndWnd = -1 },
        ["receive buffer over capacity"] = Sound with { ReceiveBuffered = 65537 },
        ["out-of-order bytes overflow"] = Sound with { OutOfOrderBytes = 65537 - 100 },
        ["too many ranges"] = Sound with { OutOfOrderRanges = 33 },
        ["in flight, no retransmission timer"] = Sound with { RetransmitAt = Instant.Never },
        ["closed with a timer"] = Sound with { State = TcpState.Closed, SndUna = new SeqNum(2000), RetransmitAt = Instant.Never, KeepAliveAt = Instant.FromMilliseconds(5) },
    };

    [Fact]
    public void SoundBlockPasses() => new ConnectionInvariants().Check(new object(), Sound);

    [Theory]
    [MemberData(nameof(Broken))]
    public void EachBrokenRuleThrows(string name) =>
        Assert.Throws<TestbedException>(() => new ConnectionInvariants().Check(new object(), Cases[name]));

    [Fact]
    public void ReceiveSideOnlyMovesForward()
    {
        var checker = new ConnectionInvariants();
        var connection = new object();
        checker.Check(connection, Sound);
        checker.Check(connection, Sound with { RcvNxt = new SeqNum(5100), AdvertisedRightEdge = new SeqNum(70100) });
        Assert.Throws<TestbedException>(() => checker.Check(connection, Sound with { RcvNxt = new SeqNum(5099), AdvertisedRightEdge = new SeqNum(70100) }));
        Assert.Throws<TestbedException>(() => checker.Check(connection, Sound with { RcvNxt = new SeqNum(5100), AdvertisedRightEdge = new SeqNum(70099) }));
    }
}
