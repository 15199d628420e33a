using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// A small DHCP server for simulated links, over the real interface layer (UDP 67): it offers addresses from
/// <see cref="FirstAddress"/> up (skipping declined ones), ACKs REQUESTs for what it offered or leased, and does what
/// its switches say (stay silent, NAK, ignore unicast renewals). Every message it receives is kept, with how it came
/// (broadcast or unicast) and when. It answers by broadcast, as to a client that sets the BROADCAST flag, and renewals
/// by unicast to the client's address. Its interface also serves TCP (listen on it to hold a connection across a lease).
/// </summary>
internal sealed class DhcpServerDouble : IUdpReceiver
{
    private readonly Dictionary<MacAddress, Ipv4Address> _leases = new();
    private readonly HashSet<Ipv4Address> _declined = new();
    private uint _next;
    private bool _lastWasBroadcast;

    public DhcpServerDouble(Ipv4Address address, MacAddress mac, IFrameOutput output, Ipv4Address firstAddress)
    {
        Nic = new NetworkInterface(new InterfaceConfig { MacAddress = mac, Address = address, PrefixLength = 24, Checksums = ChecksumPolicy.Verify },
                                   new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), address.Value), output);
        Nic.BindUdp(DhcpMessage.ServerPort, this);
        FirstAddress = firstAddress;
    }

    public NetworkInterface Nic { get; }
    public Ipv4Address Address => Nic.Config.Address;
    public Ipv4Address FirstAddress { get; }
    public uint LeaseSeconds { get; set; } = 120;
    public uint? RenewalSeconds { get; set; } = 60;
    public uint? RebindingSeconds { get; set; } = 105;
    public int? Mtu { get; set; }
    public Ipv4Address[] DnsServers { get; set; } = [];
    /// <summary>Answers nothing at all.</summary>
    public bool Silent { get; set; }
    /// <summary>Answers the next REQUEST with a NAK (then resets itself).</summary>
    public bool NakNextRequest { get; set; }
    /// <summary>Ignores REQUESTs that come by unicast (renewals), so only rebinding reaches it.</summary>
    public bool IgnoreUnicast { get; set; }
    public List<Received> Messages { get; } = new();

    public IEnumerable<Received> Of(DhcpMessageType type) => Messages.Where(m => m.Message.Type == type);

    public void OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at)
    {
        var status = DhcpMessage.TryParse(payload, out var message);
        if (status != WireStatus.Ok) throw new TestbedException($"the client sent a DHCP message that does not parse: {status}");
        Messages.Add(new Received(message!, source, sourcePort, at));
        if (Silent) return;
        switch (message!.Type)
        {
            case DhcpMessageType.Discover:
                var offered = _leases.TryGetValue(message.ClientMac, out var held) ? held : Allocate(message.ClientMac);
                Reply(message, DhcpMessageType.Offer, offered, at);
                break;
            case DhcpMessageType.Request when IgnoreUnicast && source != Ipv4Address.Any && !_lastWasBroadcast:
                break;
            case DhcpMessageType.Request when NakNextRequest:
                NakNextRequest = false;
                Reply(message, DhcpMessageType.Nak, Ipv4Address.Any, at);
                break;
            case DhcpMessageType.Request:
                var requested = message.RequestedIp ?? message.ClientAddress;
                if (_leases.TryGetValue(message.ClientMac, out var lease) && lease == requested) Reply(message, DhcpMessageType.Ack, lease, at);
                else Reply(message, DhcpMessageType.Nak, Ipv4Address.Any, at);
                break;
            case DhcpMessageType.Decline:
                _declined.Add(message.RequestedIp!.Value);
                _leases.Remove(message.ClientMac);
                break;
            case DhcpMessageType.Release:
                _leases.Remove(message.ClientMac);
                break;
        }
    }

    /// <summary>Hands a frame from the link to the interface, noting whether it was broadcast (a renewal is not).</summary>
    public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
    {
        _lastWasBroadcast = EthernetFrame.TryParse(frame, out var ethernet) == WireStatus.Ok && ethernet.Destination.IsBroadcast;
        Nic.OnFrame(frame, now);
    }

    private Ipv4Address Allocate(MacAddress client)
    {
        Ipv4Address address;
        do address = new Ipv4Address(FirstAddress.Value + _next++);
        while (_declined.Contains(address));
        _leases[client] = address;
        return address;
    }

    private void Reply(DhcpMessage request, DhcpMessageType type, Ipv4Address yours, Instant at)
    {
        bool grant = type != DhcpMessageType.Nak;
        var reply = new DhcpMessage
        {
            IsReply = true,
            Type = type,
            TransactionId = request.TransactionId,
            Broadcast = request.Broadcast,
            ClientMac = request.ClientMac,
            YourAddress = yours,
            ServerIdentifier = Address,
            PrefixLength = grant ? 24 : null,
            Router = grant ? Address : null,
            DnsServers = grant ? DnsServers : [],
            Mtu = grant ? Mtu : null,
            LeaseTime = grant ? LeaseSeconds : null,
            RenewalTime = grant ? RenewalSeconds : null,
            RebindingTime = grant ? RebindingSeconds : null,
        };
        var buffer = new byte[reply.Length];
        reply.Write(buffer);
        // RFC 2131 §4.1: to a client with an address (renewing) by unicast; otherwise by broadcast (the client set the flag).
        var destination = request.ClientAddress != Ipv4Address.Any && !request.Broadcast ? request.ClientAddress : Ipv4Address.Broadcast;
        Nic.SendUdp(DhcpMessage.ServerPort, destination, DhcpMessage.ClientPort, buffer, at);
    }

    /// <summary>A message the server received, with its IPv4 source (0.0.0.0 before the client has an address).</summary>
    public sealed record Received(DhcpMessage Message, Ipv4Address Source, ushort SourcePort, Instant At);
}
