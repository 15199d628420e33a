using System.Buffers.Binary;
using System.Reflection;
using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Loop;

/// <summary>
/// One HTTP download as Linux recorded it on a veth (tests/UserTcp.Fast.Tests/Fixtures/http-offload-off.pcap, embedded:
/// curl fetching a page from nginx, 33,010 bytes with its header, offloads off): the client's addresses, ISN and request, the server's SYN-ACK and its
/// data frames, whole and checksummed, ready to be replayed into a stack that plays the client.
/// </summary>
internal sealed class RecordedConnection
{
    private const string Resource = "http-offload-off.pcap";

    private RecordedConnection(MacAddress clientMac, MacAddress serverMac, Ipv4Address client, Ipv4Address server, ushort serverPort,
                               uint clientIsn, byte[] request, byte[] synAck, List<byte[]> data)
    {
        ClientMac = clientMac;
        ServerMac = serverMac;
        Client = client;
        Server = server;
        ServerPort = serverPort;
        ClientIsn = clientIsn;
        Request = request;
        SynAck = synAck;
        Data = data;
    }

    public MacAddress ClientMac { get; }
    public MacAddress ServerMac { get; }
    public Ipv4Address Client { get; }
    public Ipv4Address Server { get; }
    public ushort ServerPort { get; }
    public uint ClientIsn { get; }
    /// <summary>What the client sent after the handshake: the server's data acknowledges exactly these bytes.</summary>
    public byte[] Request { get; }
    public byte[] SynAck { get; }
    /// <summary>The server's frames that carry data, in capture order.</summary>
    public List<byte[]> Data { get; }
    public int DataBytes => Data.Sum(frame => Tcp(frame).Payload.Length);

    public static RecordedConnection Load()
    {
        // SharpPcap reads files only: the capture travels in this assembly, so BenchmarkDotNet's generated projects find it.
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-bench-{Environment.ProcessId}-{Resource}");
        using (var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream(Resource) ?? throw new InvalidOperationException($"{Resource} is not embedded"))
        using (var copy = File.Create(file))
            resource.CopyTo(copy);
        try
        {
            return Parse(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Points the server's frames at <paramref name="clientPort"/>: the replaying stack picks its own ephemeral port.</summary>
    public void RetargetTo(ushort clientPort)
    {
        foreach (var frame in Data.Append(SynAck))
        {
            var tcp = frame.AsSpan(TcpOffset(frame));
            ushort old = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], clientPort);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Update(BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]), old, clientPort));
        }
    }

    /// <summary>Moves a data frame's sequence number on by <paramref name="bytes"/>, its checksum updated (RFC 1624).</summary>
    public static void AdvanceSequence(byte[] frame, int bytes)
    {
        var tcp = frame.AsSpan(TcpOffset(frame));
        uint old = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        uint advanced = unchecked(old + (uint)bytes);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], advanced);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Update(BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]), old, advanced));
    }

    private static int TcpOffset(byte[] frame) => EthernetFrame.HeaderLength + (frame[EthernetFrame.HeaderLength] & 0xF) * 4;

    private static TcpSegment Tcp(byte[] frame)
    {
        EthernetFrame.TryParse(frame, out var ethernet);
        Ipv4Packet.TryParse(ethernet.Payload, out var ip);
        TcpSegment.TryParse(ip.Payload, out var tcp);
        return tcp;
    }

    private static RecordedConnection Parse(string file)
    {
        using var device = new CaptureFileReaderDevice(file);
        device.Open();
        MacAddress? clientMac = null, serverMac = null;
        Ipv4Address client = default, server = default;
        ushort serverPort = 0;
        uint clientIsn = 0;
        byte[]? request = null, synAck = null;
        var data = new List<byte[]>();
        while (device.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
        {
            var frame = capture.Data.ToArray();
            if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok || ethernet.EtherType != EtherType.Ipv4
                || Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok || ip.Protocol != IpProtocol.Tcp
                || TcpSegment.TryParse(ip.Payload, out var tcp) != WireStatus.Ok)
                continue;
            bool syn = (tcp.Flags & TcpFlags.Syn) != 0, ack = (tcp.Flags & TcpFlags.Ack) != 0;
            if (syn && !ack)
            {
                (clientMac, serverMac, client, server, serverPort, clientIsn) = (ethernet.Source, ethernet.Destination, ip.Source, ip.Destination, tcp.DestinationPort, tcp.SequenceNumber);
            }
            else if (clientMac is null)
            {
                continue;
            }
            else if (syn && ip.Source == server)
            {
                synAck = frame;
            }
            else if (tcp.Payload.Length > 0 && ip.Source == client && request is null)
            {
                request = tcp.Payload.ToArray();
            }
            else if (tcp.Payload.Length > 0 && ip.Source == server)
            {
                data.Add(frame);
            }
        }
        if (clientMac is not { } clientAddress || serverMac is not { } serverAddress || request is null || synAck is null || data.Count == 0)
            throw new InvalidOperationException($"{Resource} does not hold a whole TCP download");
        return new RecordedConnection(clientAddress, serverAddress, client, server, serverPort, clientIsn, request, synAck, data);
    }
}
