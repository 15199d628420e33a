using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Observation;

namespace UserTcp.Fast.Tests.Observation;

/// <summary>
/// The ACK-latency observer's analysis over small synthetic captures written here (nanosecond pcap, as tcpdump writes
/// them): what covers a segment, one ACK covering many, retransmissions, sequence wrap, bursts split by idle gaps.
/// </summary>
public sealed class AckCoverageAnalysisTests : IDisposable
{
    private const ushort ServerPort = 5201, ClientPort = 40000;
    private const int Mss = 1448;
    private static readonly Ipv4Address Server = new(198, 18, 0, 1), Client = new(198, 18, 0, 2);
    private static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:00:01"), ClientMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly TimeSpan IdleGap = TimeSpan.FromMilliseconds(100);
    /// <summary>A capture clock far from zero, as a real one is: nanoseconds must survive the file's seconds + fraction.</summary>
    private const long Epoch = 1_764_000_000L * 1_000_000_000;

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"ack-coverage-{Guid.NewGuid():N}.pcap");
    private readonly List<(long Ns, byte[] Frame)> _frames = [];
    private uint _serverIsn = 1_000_000;

    public void Dispose() => File.Delete(_file);

    [Fact] // an ACK below a segment's end does not cover it; the first one at or past its end does, to the nanosecond
    public void Only_an_ack_at_or_past_the_end_covers_a_segment()
    {
        Handshake();
        Data(at: 0, segment: 0);
        Ack(at: 5_000, ServerSeq(0) + 1000);
        Ack(at: 12_345, ServerSeq(1));
        Ack(at: 20_000, ServerSeq(1)); // a duplicate covers nothing more
        var burst = Assert.Single(Analyse().Bursts);
        Assert.Equal([12_345L], burst.LatenciesNs);
        Assert.Equal(1, burst.CoveringAcks);
        Assert.Equal(0, burst.Uncovered);
    }

    [Fact] // one cumulative ACK covers every segment below it, each timed from its own transmission
    public void A_cumulative_ack_covers_many_segments()
    {
        Handshake();
        for (int i = 0; i < 4; i++) Data(at: i * 1_000, segment: i);
        Ack(at: 10_000, ServerSeq(4));
        var burst = Assert.Single(Analyse().Bursts);
        Assert.Equal([10_000L, 9_000, 8_000, 7_000], burst.LatenciesNs);
        Assert.Equal(4, burst.Segments);
        Assert.Equal(1, burst.CoveringAcks);
        Assert.Equal(3_000, burst.TrainNs);
    }

    [Fact] // a segment sent again before it was covered is timed from its last transmission and counted once; a repeat after the ACK is only a retransmission
    public void A_retransmitted_segment_is_timed_from_its_last_copy()
    {
        Handshake();
        Data(at: 0, segment: 0);
        Data(at: 1_000, segment: 1);
        Ack(at: 2_000, ServerSeq(0) + 0); // covers nothing (SACK for segment 1 would not count either)
        Data(at: 200_000, segment: 0); // the retransmission, within the same burst's idle gap
        Ack(at: 210_000, ServerSeq(2));
        Data(at: 300_000, segment: 1); // spurious: already covered
        var connection = Analyse();
        var burst = Assert.Single(connection.Bursts);
        Assert.Equal([10_000L, 209_000], burst.LatenciesNs);
        Assert.Equal(2, burst.Segments);
        Assert.Equal(1, burst.Retransmissions);
        Assert.Equal(2, connection.Retransmissions);
    }

    [Fact] // sequence numbers wrap at 2^32: segments across the wrap are covered by a small acknowledgment number
    public void Coverage_holds_across_the_sequence_wrap()
    {
        _serverIsn = uint.MaxValue - Mss - 100; // the second segment straddles the wrap, the third lies beyond it
        Handshake();
        for (int i = 0; i < 3; i++) Data(at: i * 1_000, segment: i);
        Ack(at: 5_000, ServerSeq(2));
        Ack(at: 9_000, ServerSeq(3));
        Assert.True(ServerSeq(3).Value < ServerSeq(0).Value, "the test's data must cross the wrap");
        var burst = Assert.Single(Analyse().Bursts);
        Assert.Equal([5_000L, 4_000, 7_000], burst.LatenciesNs);
    }

    [Fact] // new data after more than the idle gap starts a new burst; what the receiver sent in between counts for the burst before
    public void Idle_gaps_split_bursts_and_uncovered_segments_are_counted()
    {
        Handshake();
        Data(at: 0, segment: 0);
        Ack(at: 50_000, ServerSeq(1));
        long second = 250_000_000;
        for (int i = 1; i <= 3; i++) Data(at: second + i * 1_000, segment: i);
        Ack(at: second + 40_000, ServerSeq(3)); // the last segment is never covered
        var connection = Analyse();
        Assert.Equal(2, connection.Bursts.Count);
        Assert.Equal([50_000L], connection.Bursts[0].LatenciesNs);
        Assert.Equal(3, connection.Bursts[1].Segments);
        Assert.Equal([39_000L, 38_000], connection.Bursts[1].LatenciesNs);
        Assert.Equal(1, connection.Bursts[1].Uncovered);
        Assert.Equal(1, connection.Bursts[0].ClientFrames);
        Assert.Equal(1, connection.Bursts[1].ClientFrames);
    }

    private SeqNum ServerSeq(int segment) => new SeqNum(_serverIsn) + 1 + segment * Mss;

    private void Handshake()
    {
        Tcp(at: -3_000, fromServer: false, seq: 500, ack: 0, TcpFlags.Syn, 0);
        Tcp(at: -2_000, fromServer: true, seq: _serverIsn, ack: 501, TcpFlags.Syn | TcpFlags.Ack, 0);
        Ack(at: -1_000, ServerSeq(0));
    }

    private void Data(long at, int segment) => Tcp(at, fromServer: true, ServerSeq(segment).Value, 501, TcpFlags.Ack, Mss);

    private void Ack(long at, SeqNum ack) => Tcp(at, fromServer: false, 501, ack.Value, TcpFlags.Ack, 0);

    private void Tcp(long at, bool fromServer, uint seq, uint ack, TcpFlags flags, int payload)
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + TcpSegment.MinHeaderLength + payload];
        var (ethernet, ip, tcp) = fromServer
            ? (new EthernetHeader(ClientMac, ServerMac, EtherType.Ipv4), new Ipv4Header(Server, Client, IpProtocol.Tcp), new TcpHeader(ServerPort, ClientPort, seq, ack, flags, 1000))
            : (new EthernetHeader(ServerMac, ClientMac, EtherType.Ipv4), new Ipv4Header(Client, Server, IpProtocol.Tcp), new TcpHeader(ClientPort, ServerPort, seq, ack, flags, 1000));
        FrameWriter.WriteTcp(frame, ethernet, ip, tcp, new byte[payload]);
        _frames.Add((Epoch + at, frame));
    }

    /// <summary>Writes the frames as tcpdump does (nanosecond pcap) and analyses the file as the harness does.</summary>
    private ObservedConnection Analyse()
    {
        using (var writer = new CaptureFileWriterDevice(_file, FileMode.Create))
        {
            writer.Open(new DeviceConfiguration { LinkLayerType = PacketDotNet.LinkLayers.Ethernet, TimestampResolution = TimestampResolution.Nanosecond });
            foreach (var (ns, frame) in _frames)
            {
                var header = new PcapHeader(0, 0, (uint)frame.Length, (uint)frame.Length)
                {
                    Timeval = new PosixTimeval((ulong)(ns / 1_000_000_000), (ulong)(ns % 1_000_000_000), TimestampResolution.Nanosecond),
                };
                writer.Write(frame, ref header);
            }
        }
        var analysis = AckCoverageAnalysis.Read(_file, Server, ServerPort, IdleGap);
        Assert.Equal(0, analysis.UnreadableFrames);
        var connection = Assert.Single(analysis.Connections);
        Assert.Equal((Client, ClientPort), (connection.ClientAddress, connection.ClientPort));
        Assert.Equal(0, connection.SequenceGaps);
        return connection;
    }
}
