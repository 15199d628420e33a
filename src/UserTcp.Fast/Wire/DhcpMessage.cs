using System.Buffers.Binary;
using System.Text;

namespace UserTcp.Fast.Wire;

/// <summary>
/// A DHCPv4 message (RFC 2131 §2: the BOOTP fixed header, the magic cookie, then options, RFC 2132) as validated values:
/// <see cref="TryParse"/> reads one from a UDP payload, <see cref="Write"/> emits one. Only Ethernet clients (htype 1,
/// hlen 6) and the options the client uses are understood; others are skipped. Option overload (52) is refused as
/// <see cref="WireStatus.Unsupported"/>: options hidden in sname/file are not looked for. Not on the hot path: a parsed
/// message may allocate (its DNS server list).
/// </summary>
internal sealed record DhcpMessage
{
    /// <summary>Fixed header up to and including the magic cookie (RFC 2131 §2: 236 bytes, then 99.130.83.99).</summary>
    public const int FixedLength = 240;
    /// <summary>RFC 1542 §3.2.1: a BOOTP message is at least 300 bytes; some relays and servers drop shorter ones.</summary>
    public const int MinLength = 300;
    /// <summary>RFC 2131 §2: the minimum every client must accept, 576-byte IP datagram less IP and UDP headers.</summary>
    public const int MaxLength = 548;
    public const ushort ServerPort = 67, ClientPort = 68;
    private const uint MagicCookie = 0x6382_5363;
    private const byte BootRequest = 1, BootReply = 2;
    private const ushort BroadcastFlag = 0x8000;

    /// <summary>Option codes (RFC 2132).</summary>
    private const byte Pad = 0, SubnetMask = 1, RouterOption = 3, DomainServer = 6, HostNameCode = 12, InterfaceMtu = 26,
                       RequestedAddress = 50, LeaseTimeCode = 51, Overload = 52, MessageType = 53, ServerIdentifierCode = 54,
                       ParameterRequestList = 55, RenewalTimeCode = 58, RebindingTimeCode = 59, ClientIdentifierCode = 61, End = 255;

    /// <summary>What option 61 carries before the MAC, so that the stack's identifier differs from the host's.</summary>
    private static ReadOnlySpan<byte> ClientIdentifierTag => "usertcp"u8;

    /// <summary>The options a client asks for (option 55): mask, router, DNS, MTU, lease, T1, T2.</summary>
    public static ReadOnlySpan<byte> ClientParameters => [SubnetMask, RouterOption, DomainServer, InterfaceMtu, LeaseTimeCode, RenewalTimeCode, RebindingTimeCode];

    /// <summary>True for BOOTREPLY (server to client), false for BOOTREQUEST.</summary>
    public bool IsReply { get; init; }
    public required DhcpMessageType Type { get; init; }
    public required uint TransactionId { get; init; }
    public ushort Seconds { get; init; }
    /// <summary>The BROADCAST flag (RFC 2131 §4.1): a client that cannot receive unicast before it has an address sets it.</summary>
    public bool Broadcast { get; init; }
    public Ipv4Address ClientAddress { get; init; }
    public Ipv4Address YourAddress { get; init; }
    public Ipv4Address NextServerAddress { get; init; }
    public Ipv4Address RelayAddress { get; init; }
    public required MacAddress ClientMac { get; init; }
    /// <summary>Option 1 as a prefix length; a mask that is not contiguous is refused.</summary>
    public int? PrefixLength { get; init; }
    /// <summary>Option 3: the first router listed.</summary>
    public Ipv4Address? Router { get; init; }
    /// <summary>Option 6.</summary>
    public Ipv4Address[] DnsServers { get; init; } = [];
    /// <summary>Option 26.</summary>
    public int? Mtu { get; init; }
    /// <summary>Option 51, seconds (0xFFFFFFFF: infinite).</summary>
    public uint? LeaseTime { get; init; }
    /// <summary>Option 58 (T1), seconds.</summary>
    public uint? RenewalTime { get; init; }
    /// <summary>Option 59 (T2), seconds.</summary>
    public uint? RebindingTime { get; init; }
    /// <summary>Option 54.</summary>
    public Ipv4Address? ServerIdentifier { get; init; }
    /// <summary>Option 50.</summary>
    public Ipv4Address? RequestedIp { get; init; }
    /// <summary>Option 55 is written when set (a client's request); parsed messages leave it false.</summary>
    public bool RequestsParameters { get; init; }
    /// <summary>
    /// Option 61 is written when set: type 0 (RFC 2132 §9.14: not a hardware address), "usertcp" and <see cref="ClientMac"/>.
    /// The stack captures on an interface whose MAC the host's own DHCP client uses too, as chaddr or as a type-1
    /// identifier; a server that keys leases on option 61 (RFC 2131 §4.2; dnsmasq, ISC, most home routers) gives the
    /// stack a lease of its own instead of the host's. Parsing only validates it.
    /// </summary>
    public bool HasClientIdentifier { get; init; }
    /// <summary>Option 12, ASCII.</summary>
    public string? HostName { get; init; }

    /// <summary>Bytes <see cref="Write"/> emits: the fixed part, the options, the end, padded to <see cref="MinLength"/>.</summary>
    public int Length
    {
        get
        {
            int length = FixedLength + 3 + 1; // message type, end
            if (PrefixLength is not null) length += 6;
            if (Router is not null) length += 6;
            if (DnsServers.Length > 0) length += 2 + 4 * DnsServers.Length;
            if (Mtu is not null) length += 4;
            if (LeaseTime is not null) length += 6;
            if (RenewalTime is not null) length += 6;
            if (RebindingTime is not null) length += 6;
            if (ServerIdentifier is not null) length += 6;
            if (RequestedIp is not null) length += 6;
            if (RequestsParameters) length += 2 + ClientParameters.Length;
            if (HasClientIdentifier) length += 2 + 1 + ClientIdentifierTag.Length + MacAddress.Length;
            if (HostName is not null) length += 2 + HostName.Length;
            return Math.Max(length, MinLength);
        }
    }

    /// <summary>Emits the message into <paramref name="buffer"/> (at least <see cref="Length"/> bytes, every byte written) and returns its length.</summary>
    public int Write(Span<byte> buffer)
    {
        int length = Length;
        var message = buffer[..length];
        message.Clear();
        message[0] = IsReply ? BootReply : BootRequest;
        message[1] = 1; // htype: Ethernet
        message[2] = MacAddress.Length;
        BinaryPrimitives.WriteUInt32BigEndian(message[4..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(message[8..], Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(message[10..], Broadcast ? BroadcastFlag : (ushort)0);
        ClientAddress.Write(message[12..]);
        YourAddress.Write(message[16..]);
        NextServerAddress.Write(message[20..]);
        RelayAddress.Write(message[24..]);
        ClientMac.Write(message[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(message[236..], MagicCookie);
        int at = FixedLength;
        message[at++] = MessageType;
        message[at++] = 1;
        message[at++] = (byte)Type;
        if (HasClientIdentifier)
        {
            message[at++] = ClientIdentifierCode;
            message[at++] = (byte)(1 + ClientIdentifierTag.Length + MacAddress.Length);
            message[at++] = 0; // type 0: not a hardware address (RFC 2132 §9.14)
            ClientIdentifierTag.CopyTo(message[at..]);
            at += ClientIdentifierTag.Length;
            ClientMac.Write(message[at..]);
            at += MacAddress.Length;
        }
        at = WriteAddress(message, at, RequestedAddress, RequestedIp);
        at = WriteAddress(message, at, ServerIdentifierCode, ServerIdentifier);
        if (RequestsParameters)
        {
            message[at++] = ParameterRequestList;
            message[at++] = (byte)ClientParameters.Length;
            ClientParameters.CopyTo(message[at..]);
            at += ClientParameters.Length;
        }
        if (HostName is { } name)
        {
            message[at++] = HostNameCode;
            message[at++] = (byte)name.Length;
            at += Encoding.ASCII.GetBytes(name, message[at..]);
        }
        if (PrefixLength is { } prefix)
        {
            message[at++] = SubnetMask;
            message[at++] = 4;
            BinaryPrimitives.WriteUInt32BigEndian(message[at..], prefix == 0 ? 0 : uint.MaxValue << (32 - prefix));
            at += 4;
        }
        at = WriteAddress(message, at, RouterOption, Router);
        if (DnsServers.Length > 0)
        {
            message[at++] = DomainServer;
            message[at++] = (byte)(4 * DnsServers.Length);
            foreach (var server in DnsServers)
            {
                server.Write(message[at..]);
                at += 4;
            }
        }
        if (Mtu is { } mtu)
        {
            message[at++] = InterfaceMtu;
            message[at++] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(message[at..], (ushort)mtu);
            at += 2;
        }
        at = WriteSeconds(message, at, LeaseTimeCode, LeaseTime);
        at = WriteSeconds(message, at, RenewalTimeCode, RenewalTime);
        at = WriteSeconds(message, at, RebindingTimeCode, RebindingTime);
        message[at] = End; // the rest, to MinLength, is pad (zeros)
        return length;
    }

    private static int WriteAddress(Span<byte> message, int at, byte code, Ipv4Address? address)
    {
        if (address is not { } value) return at;
        message[at] = code;
        message[at + 1] = 4;
        value.Write(message[(at + 2)..]);
        return at + 6;
    }

    private static int WriteSeconds(Span<byte> message, int at, byte code, uint? seconds)
    {
        if (seconds is not { } value) return at;
        message[at] = code;
        message[at + 1] = 4;
        BinaryPrimitives.WriteUInt32BigEndian(message[(at + 2)..], value);
        return at + 6;
    }

    /// <summary>
    /// Reads a DHCP message from a UDP payload. Truncated: shorter than the fixed part, or an option running past the end
    /// or no end option. Unsupported: not Ethernet, no magic cookie, no message type (plain BOOTP), or option overload.
    /// BadOperation: op is neither request nor reply. BadOption: an option of the wrong length or value, or one given twice.
    /// </summary>
    public static WireStatus TryParse(ReadOnlySpan<byte> payload, out DhcpMessage? message)
    {
        message = null;
        if (payload.Length < FixedLength + 1) return WireStatus.Truncated;
        if (payload[0] is not (BootRequest or BootReply)) return WireStatus.BadOperation;
        if (payload[1] != 1 || payload[2] != MacAddress.Length || BinaryPrimitives.ReadUInt32BigEndian(payload[236..]) != MagicCookie)
            return WireStatus.Unsupported;
        DhcpMessageType? type = null;
        int? prefix = null, mtu = null;
        Ipv4Address? router = null, serverId = null, requested = null;
        Ipv4Address[]? dns = null;
        uint? lease = null, t1 = null, t2 = null;
        string? hostName = null;
        bool clientId = false;
        Span<bool> seen = stackalloc bool[256];
        int at = FixedLength;
        while (true)
        {
            if (at >= payload.Length) return WireStatus.Truncated; // no end option
            byte code = payload[at++];
            if (code == Pad) continue;
            if (code == End) break;
            if (at >= payload.Length) return WireStatus.Truncated;
            int length = payload[at++];
            if (at + length > payload.Length) return WireStatus.Truncated;
            var value = payload.Slice(at, length);
            at += length;
            if (seen[code]) return WireStatus.BadOption; // RFC 3396 splitting is not used by the options we read
            seen[code] = true;
            switch (code)
            {
                case Overload:
                    return WireStatus.Unsupported;
                case MessageType:
                    if (length != 1 || value[0] is < (byte)DhcpMessageType.Discover or > (byte)DhcpMessageType.Inform) return WireStatus.BadOption;
                    type = (DhcpMessageType)value[0];
                    break;
                case SubnetMask:
                    if (length != 4) return WireStatus.BadOption;
                    uint mask = BinaryPrimitives.ReadUInt32BigEndian(value);
                    int ones = System.Numerics.BitOperations.PopCount(mask);
                    if (ones > 0 && mask != uint.MaxValue << (32 - ones)) return WireStatus.BadOption; // not contiguous
                    prefix = ones;
                    break;
                case RouterOption:
                    if (length < 4 || length % 4 != 0) return WireStatus.BadOption;
                    router = Ipv4Address.Read(value);
                    break;
                case DomainServer:
                    if (length < 4 || length % 4 != 0) return WireStatus.BadOption;
                    dns = new Ipv4Address[length / 4];
                    for (int i = 0; i < dns.Length; i++) dns[i] = Ipv4Address.Read(value[(4 * i)..]);
                    break;
                case InterfaceMtu:
                    if (length != 2) return WireStatus.BadOption;
                    mtu = BinaryPrimitives.ReadUInt16BigEndian(value);
                    if (mtu < 68) return WireStatus.BadOption; // RFC 2132 §5.1: the minimum legal value is 68
                    break;
                case LeaseTimeCode or RenewalTimeCode or RebindingTimeCode:
                    if (length != 4) return WireStatus.BadOption;
                    uint seconds = BinaryPrimitives.ReadUInt32BigEndian(value);
                    if (code == LeaseTimeCode) lease = seconds;
                    else if (code == RenewalTimeCode) t1 = seconds;
                    else t2 = seconds;
                    break;
                case ServerIdentifierCode or RequestedAddress:
                    if (length != 4) return WireStatus.BadOption;
                    if (code == ServerIdentifierCode) serverId = Ipv4Address.Read(value);
                    else requested = Ipv4Address.Read(value);
                    break;
                case ClientIdentifierCode:
                    if (length < 2) return WireStatus.BadOption;
                    clientId = true;
                    break;
                case HostNameCode:
                    if (length < 1) return WireStatus.BadOption;
                    hostName = Encoding.ASCII.GetString(value);
                    break;
            }
        }
        if (type is null) return WireStatus.Unsupported; // BOOTP without DHCP
        message = new DhcpMessage
        {
            IsReply = payload[0] == BootReply,
            Type = type.Value,
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]),
            Seconds = BinaryPrimitives.ReadUInt16BigEndian(payload[8..]),
            Broadcast = (BinaryPrimitives.ReadUInt16BigEndian(payload[10..]) & BroadcastFlag) != 0,
            ClientAddress = Ipv4Address.Read(payload[12..]),
            YourAddress = Ipv4Address.Read(payload[16..]),
            NextServerAddress = Ipv4Address.Read(payload[20..]),
            RelayAddress = Ipv4Address.Read(payload[24..]),
            ClientMac = MacAddress.Read(payload[28..]),
            PrefixLength = prefix,
            Router = router,
            DnsServers = dns ?? [],
            Mtu = mtu,
            LeaseTime = lease,
            RenewalTime = t1,
            RebindingTime = t2,
            ServerIdentifier = serverId,
            RequestedIp = requested,
            HasClientIdentifier = clientId,
            HostName = hostName,
        };
        return WireStatus.Ok;
    }
}
