using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// The observer's side of the single events: the frames of the event port in the capture on the server's veth, parsed by
/// the wire layer, and for each probe the receiver's answer (<see cref="EventAnswer"/>). A probe is found by its
/// connection, sequence number, length, flags and the marker IP ID the injector gave it (the pushed burst's last segment,
/// sent by the server's kernel, by connection, sequence number and length).
/// </summary>
internal sealed class EventAnswers
{
    private readonly record struct Frame(long TimestampNs, bool FromServer, Ipv4Address Client, ushort ClientPort, uint Sequence, uint Ack,
                                         int Length, TcpFlags Flags, ushort IpId, SackBlock[] Sack);

    private readonly List<Frame> _frames = [];

    public static EventAnswers Read(string pcap, Ipv4Address server)
    {
        var answers = new EventAnswers();
        using var device = new CaptureFileReaderDevice(pcap);
        device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        while (device.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
            answers.Observe((long)(capture.Header.Timeval.Value * 1_000_000_000m), capture.Data, server);
        return answers;
    }

    private void Observe(long timestampNs, ReadOnlySpan<byte> bytes, Ipv4Address server)
    {
        if (EthernetFrame.TryParse(bytes, out var ethernet) != WireStatus.Ok || ethernet.EtherType != EtherType.Ipv4
            || Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok || ip.Protocol != IpProtocol.Tcp
            || TcpSegment.TryParse(ip.Payload, out var tcp) != WireStatus.Ok)
            return;
        bool fromServer = ip.Source == server && tcp.SourcePort == EventRequest.Port;
        if (!fromServer && !(ip.Destination == server && tcp.DestinationPort == EventRequest.Port)) return;
        var sack = new SackBlock[tcp.Options.SackBlockCount];
        for (int i = 0; i < sack.Length; i++) sack[i] = tcp.Options.GetSackBlock(i);
        _frames.Add(new Frame(timestampNs, fromServer, fromServer ? ip.Destination : ip.Source, fromServer ? tcp.DestinationPort : tcp.SourcePort,
                              tcp.SequenceNumber, tcp.AcknowledgmentNumber, tcp.Payload.Length, tcp.Flags, ip.Identification, sack));
    }

    public EventAnswer Answer(Ipv4Address client, ushort clientPort, EventProbe probe)
    {
        int at = _frames.FindLastIndex(f => f.FromServer && f.Client == client && f.ClientPort == clientPort && f.Sequence == probe.Sequence
                                            && f.Length == probe.Length && (probe.IpId < 0 || f.IpId == probe.IpId && (int)f.Flags == probe.Flags));
        if (at < 0) return new EventAnswer(probe, false, null, 0, false, 0, false);
        var sent = _frames[at];
        var end = new SeqNum(probe.Sequence) + probe.Length;
        for (int i = at + 1; i < _frames.Count; i++)
        {
            var f = _frames[i];
            if (f.FromServer || f.Client != client || f.ClientPort != clientPort) continue;
            if (probe.IpId < 0 && ((f.Flags & TcpFlags.Ack) == 0 || new SeqNum(f.Ack) < end)) continue;
            var ack = new SeqNum(f.Ack);
            bool dsack = f.Sack.Length > 0 && (new SeqNum(f.Sack[0].Right) <= ack
                || f.Sack.Length > 1 && new SeqNum(f.Sack[0].Left) >= new SeqNum(f.Sack[1].Left) && new SeqNum(f.Sack[0].Right) <= new SeqNum(f.Sack[1].Right));
            return new EventAnswer(probe, true, f.TimestampNs - sent.TimestampNs, f.Ack, (f.Flags & TcpFlags.Rst) != 0, f.Sack.Length, dsack);
        }
        return new EventAnswer(probe, true, null, 0, false, 0, false);
    }
}
