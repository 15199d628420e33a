using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp.Hostile;

/// <summary>
/// Retransmissions that overlap what arrived before but carry different bytes (a broken or hostile sender, or an
/// injection racing the real one): the first copy received wins, byte for byte, in order and out of order alike, and
/// the application reads each sequence number once (Linux's tcp_data_queue and tcp_data_queue_ofo keep what is queued).
/// </summary>
public sealed class OverlappingDataTests
{
    private static EngineHarness Established()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 });
        h.Establish();
        return h;
    }

    private static void Send(EngineHarness h, int offset, int length, byte fill)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(offset), h.OurSeq(0), options: h.PeerTimestampOption()), Enumerable.Repeat(fill, length).ToArray());
        h.Flush();
    }

    private static byte[] ReadAll(TcpConnection c)
    {
        var data = new byte[c.BytesAvailable];
        Assert.Equal(data.Length, c.Receive(data));
        return data;
    }

    private static void AssertRuns(byte[] data, params (int Length, byte Fill)[] runs)
    {
        Assert.Equal(runs.Sum(r => r.Length), data.Length);
        int at = 0;
        foreach (var (length, fill) in runs)
        {
            for (int i = at; i < at + length; i++)
                if (data[i] != fill) Assert.Fail($"byte {i} is '{(char)data[i]}', the first copy sent '{(char)fill}'");
            at += length;
        }
    }

    [Fact] // in order: a retransmission overlapping delivered data adds only its new bytes
    public void In_order_overlap_keeps_the_bytes_already_received()
    {
        var h = Established();
        Send(h, 0, 1000, (byte)'A');
        Send(h, 500, 1000, (byte)'B');   // 500 old bytes, 500 new
        Send(h, 0, 1500, (byte)'C');     // all old: a duplicate
        AssertRuns(ReadAll(h.Connection!), (1000, (byte)'A'), (500, (byte)'B'));
    }

    [Fact] // out of order: held ranges keep their bytes against later overlapping copies, partial or covering
    public void Out_of_order_overlap_keeps_the_bytes_held_first()
    {
        var h = Established();
        Send(h, 2000, 1000, (byte)'A');  // held: [2000, 3000)
        Send(h, 2500, 1000, (byte)'B');  // overlaps its right half: only [3000, 3500) is new
        Send(h, 1500, 2500, (byte)'C');  // covers everything held: only [1500, 2000) and [3500, 4000) are new
        var c = h.Connection!;
        Assert.Equal(0, c.BytesAvailable);
        Send(h, 0, 2600, (byte)'D');     // fills the hole and overlaps [1500, 2600) held
        AssertRuns(ReadAll(c), (1500, (byte)'D'), (500, (byte)'C'), (1000, (byte)'A'), (500, (byte)'B'), (500, (byte)'C'));
    }

    [Fact] // many overlapping out-of-order copies of one range, each different: still one byte per sequence number
    public void A_storm_of_different_copies_delivers_each_byte_once()
    {
        var h = Established();
        for (int i = 0; i < 200; i++) Send(h, 1000 + i % 7 * 10, 500, (byte)('a' + i % 26));
        Send(h, 0, 1000, (byte)'Z');
        var data = ReadAll(h.Connection!);
        Assert.Equal(1560, data.Length);
        AssertRuns(data, (1000, (byte)'Z'), (500, (byte)'a'), (10, (byte)'b'), (10, (byte)'c'), (10, (byte)'d'), (10, (byte)'e'), (10, (byte)'f'), (10, (byte)'g'));
    }
}
