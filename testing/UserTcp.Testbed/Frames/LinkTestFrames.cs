using System.Buffers.Binary;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Frames;

/// <summary>Frames for link tests: numbered frames the link treats as opaque bytes, and real TCP frames for the checksum oracle.</summary>
internal static class LinkTestFrames
{
    public static readonly MacAddress MacA = new(0x02_00_00_00_00_0A);
    public static readonly MacAddress MacB = new(0x02_00_00_00_00_0B);
    public static readonly Ipv4Address IpA = new(198, 18, 0, 1);
    public static readonly Ipv4Address IpB = new(198, 18, 0, 2);
    /// <summary>IEEE 802 local experimental EtherType: the link must not care what it carries.</summary>
    private const EtherType Experimental = (EtherType)0x88B5;

    public const int MinimumNumberedPayload = 4;

    /// <summary>An Ethernet header followed by <paramref name="index"/> (4 bytes, big-endian) and filler up to <paramref name="payloadLength"/>.</summary>
    public static byte[] Numbered(int index, int payloadLength = 46, ushort? vlanId = null)
    {
        var ethernet = new EthernetHeader(MacB, MacA, Experimental, vlanId);
        var frame = new byte[ethernet.Length + payloadLength];
        int offset = ethernet.Emit(frame);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(offset), index);
        for (int i = offset + MinimumNumberedPayload; i < frame.Length; i++) frame[i] = (byte)(index + i);
        return frame;
    }

    public static int IndexOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32BigEndian(frame[EthernetFrame.HeaderLength..]);

    /// <summary>Ethernet + IPv4 + TCP with valid checksums, a <paramref name="payloadLength"/>-byte payload derived from <paramref name="index"/>.</summary>
    public static byte[] Tcp(int index, int payloadLength, ushort? vlanId = null)
    {
        var ethernet = new EthernetHeader(MacB, MacA, EtherType.Ipv4, vlanId);
        var ip = new Ipv4Header(IpA, IpB, IpProtocol.Tcp, Identification: (ushort)index);
        var tcp = new TcpHeader(40000, 80, (uint)index * 1460, 1, TcpFlags.Ack | TcpFlags.Psh, 65535);
        var payload = new byte[payloadLength];
        new DeterministicRandom((ulong)index).NextBytes(payload);
        var frame = new byte[ethernet.Length + Ipv4Packet.MinHeaderLength + tcp.Length + payloadLength];
        int length = FrameWriter.WriteTcp(frame, ethernet, ip, tcp, payload);
        Expect.Equal(frame.Length, length);
        return frame;
    }

    /// <summary>What a receiving stack would conclude: true only when IPv4 and TCP parse and the TCP checksum is valid.</summary>
    public static bool IsAcceptedAsTcp(ReadOnlySpan<byte> frame)
    {
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok) return false;
        if (Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok) return false;
        if (ip.Protocol != IpProtocol.Tcp) return false;
        if (TcpSegment.TryParse(ip.Payload, out var tcp) != WireStatus.Ok) return false;
        return tcp.VerifyChecksum(ip.Source, ip.Destination) == ChecksumVerdict.Valid;
    }
}
