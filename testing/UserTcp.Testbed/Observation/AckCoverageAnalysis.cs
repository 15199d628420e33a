using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Observation;

/// <summary>
/// The observer's side of the ACK-latency measurement: frames captured on the server's veth (server data out, client ACKs
/// in, one capture clock), read with the project's wire layer. For every server data segment, the time from its
/// transmission to the first client ACK whose acknowledgment number covers its end (SACK blocks do not count: only the
/// cumulative ACK frees the sender). A segment sent again before it was covered is timed from its last transmission (the
/// copy that, as far as the observer can tell, got through); data repeated after it was covered only counts as a
/// retransmission. Sequence numbers compare modulo 2^32 (<see cref="SeqNum"/>), so a connection may wrap. Data segments
/// separated by more than the idle gap from the previous new data start a new burst.
/// </summary>
internal sealed class AckCoverageAnalysis(Ipv4Address server, ushort serverPort, TimeSpan idleGap)
{
    private readonly Dictionary<(Ipv4Address, ushort), Tracker> _open = new();
    private readonly long _idleGapNs = (long)idleGap.TotalNanoseconds;

    public List<ObservedConnection> Connections { get; } = [];
    /// <summary>Frames the wire layer could not parse as Ethernet/IPv4/TCP (the capture filter lets only TCP through).</summary>
    public int UnreadableFrames { get; private set; }

    /// <summary>Reads a capture file (nanosecond or microsecond timestamps) and analyses every frame in file order.</summary>
    public static AckCoverageAnalysis Read(string pcap, Ipv4Address server, ushort serverPort, TimeSpan idleGap)
    {
        var analysis = new AckCoverageAnalysis(server, serverPort, idleGap);
        using var device = new CaptureFileReaderDevice(pcap);
        device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        while (device.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
            analysis.Observe((long)(capture.Header.Timeval.Value * 1_000_000_000m), capture.Data);
        return analysis;
    }

    public void Observe(long timestampNs, ReadOnlySpan<byte> frame)
    {
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok || ethernet.EtherType != EtherType.Ipv4
            || Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok || ip.Protocol != IpProtocol.Tcp
            || TcpSegment.TryParse(ip.Payload, out var tcp) != WireStatus.Ok)
        {
            UnreadableFrames++;
            return;
        }
        if (ip.Source == server && tcp.SourcePort == serverPort)
        {
            if (_open.TryGetValue((ip.Destination, tcp.DestinationPort), out var tracker) && tcp.Payload.Length > 0)
                tracker.OnServerData(new SeqNum(tcp.SequenceNumber), tcp.Payload.Length, timestampNs);
        }
        else if (ip.Destination == server && tcp.DestinationPort == serverPort)
        {
            var client = (ip.Source, tcp.SourcePort);
            if ((tcp.Flags & TcpFlags.Syn) != 0 && (tcp.Flags & TcpFlags.Ack) == 0)
            {
                if (_open.TryGetValue(client, out var open) && open.HasSeenData) _open.Remove(client); // the port was used again: a new connection
                if (!_open.ContainsKey(client))
                {
                    var connection = new ObservedConnection(ip.Source, tcp.SourcePort);
                    Connections.Add(connection);
                    _open[client] = new Tracker(connection, _idleGapNs);
                }
            }
            else if (_open.TryGetValue(client, out var tracker))
            {
                tracker.OnClientFrame(timestampNs);
                if ((tcp.Flags & TcpFlags.Ack) != 0) tracker.OnClientAck(new SeqNum(tcp.AcknowledgmentNumber), timestampNs);
            }
        }
    }

    private sealed class Tracker(ObservedConnection connection, long idleGapNs)
    {
        private readonly record struct Pending(SeqNum End, long SentNs, ObservedBurst Burst);

        // Uncovered segments in sequence order; covered ones are dropped from the front.
        private readonly List<Pending> _pending = [];
        private int _head;
        private SeqNum _sentEnd, _highestAck;
        private bool _anyAck;
        private long _lastNewDataNs;

        public bool HasSeenData { get; private set; }

        public void OnServerData(SeqNum start, int length, long nowNs)
        {
            var end = start + length;
            if (_anyAck && end <= _highestAck)
            {
                connection.Retransmissions++; // already covered: nobody waits for it
                return;
            }
            if (HasSeenData && start < _sentEnd)
            {
                connection.Retransmissions++;
                for (int i = _head; i < _pending.Count && _pending[i].End <= SeqNum.Min(end, _sentEnd); i++)
                {
                    if (_pending[i].End <= start) continue;
                    _pending[i] = _pending[i] with { SentNs = nowNs };
                    _pending[i].Burst.Retransmissions++;
                }
                if (end <= _sentEnd) return;
                start = _sentEnd; // the rest is new data
            }
            if (HasSeenData && start > _sentEnd) connection.SequenceGaps++;
            if (!HasSeenData || nowNs - _lastNewDataNs > idleGapNs)
                connection.Bursts.Add(new ObservedBurst { FirstSentNs = nowNs });
            var burst = connection.Bursts[^1];
            burst.Segments++;
            burst.LastSentNs = nowNs;
            _pending.Add(new Pending(end, nowNs, burst));
            _sentEnd = end;
            _lastNewDataNs = nowNs;
            HasSeenData = true;
        }

        public void OnClientFrame(long nowNs)
        {
            if (HasSeenData && nowNs - _lastNewDataNs <= idleGapNs) connection.Bursts[^1].ClientFrames++;
        }

        public void OnClientAck(SeqNum ack, long nowNs)
        {
            if (_anyAck && ack <= _highestAck) return;
            _highestAck = ack;
            _anyAck = true;
            ObservedBurst? first = null;
            for (; _head < _pending.Count && _pending[_head].End <= ack; _head++)
            {
                var covered = _pending[_head];
                covered.Burst.LatenciesNs.Add(nowNs - covered.SentNs);
                first ??= covered.Burst;
            }
            if (first is not null) first.CoveringAcks++;
            if (_head == _pending.Count)
            {
                _pending.Clear();
                _head = 0;
            }
        }
    }
}
