using System.Buffers.Binary;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Interface;

/// <summary>
/// One IPv4 interface over Ethernet, sans-IO: frames in (<see cref="OnFrame"/>), frames out through
/// <see cref="IFrameOutput"/> at <see cref="Flush"/>, timers at <see cref="NextDeadline"/>. ARP (RFC 826) with a
/// neighbour cache, IPv4 (RFC 791: validated, fragments dropped, TTL on send), ICMP echo (RFC 792), UDP demultiplexing
/// (RFC 768) and TCP through a <see cref="TcpStack"/>. Every dropped frame is counted by reason.
/// </summary>
internal sealed class NetworkInterface
{
    private InterfaceConfig _config;
    private readonly IFrameOutput _output;
    private readonly NeighborCache _neighbors;
    private readonly byte[] _frame;
    private readonly Dictionary<ushort, IUdpReceiver> _udp = new();
    private readonly List<Ipv4Address> _due = new(16), _unreachable = new(16);
    private readonly List<(ushort Port, IUdpReceiver Receiver)> _udpSnapshot = new();
    private readonly bool _acceptsPartialChecksums;
    /// <summary>The output that segments; null without one, or once it stopped (<see cref="StopSegmenting"/>).</summary>
    private ISegmentingFrameOutput? _segmentingOutput;
    /// <summary>Most bytes of a TCP segment the TCP layer may write: MTU - 20, or up to 64 KiB less the IPv4 header with segmentation offload.</summary>
    private readonly int _maxTcpSegment;
    /// <summary>The device's MTU, the most a DHCP lease's MTU may raise <see cref="InterfaceConfig.Mtu"/> to.</summary>
    private readonly int _deviceMtu;
    private readonly int _configuredMss;
    private ushort _identification;

    public NetworkInterface(InterfaceConfig config, TcpStack tcp, IFrameOutput output)
    {
        config.Validate();
        if (tcp.Config.MaxSegmentSize > config.Mtu - 40)
            throw new ArgumentException($"TCP MSS {tcp.Config.MaxSegmentSize} does not fit the MTU {config.Mtu} (at most MTU - 40)");
        _config = config;
        _acceptsPartialChecksums = config.Checksums == ChecksumPolicy.AcceptPartial
                                   || (config.Checksums == ChecksumPolicy.Auto && config.LinkIsHostLocal);
        Tcp = tcp;
        _configuredMss = tcp.Config.MaxSegmentSize;
        _output = output;
        int frameSize = config.Mtu + EthernetFrame.HeaderLength;
        _deviceMtu = config.Mtu;
        _maxTcpSegment = config.Mtu - Ipv4Packet.MinHeaderLength;
        if (output is ISegmentingFrameOutput { MaxSegmentedFrameBytes: var segmented } segmenting && segmented > frameSize)
        {
            // The IPv4 total length is 16 bits: a segment of up to 65,535 - 20 bytes, as Linux's GSO_LEGACY_MAX_SIZE.
            _segmentingOutput = segmenting;
            _maxTcpSegment = Math.Min(segmented - EthernetFrame.HeaderLength, ushort.MaxValue) - Ipv4Packet.MinHeaderLength;
            tcp.OffloadSegmentBytes = _maxTcpSegment;
        }
        _frame = GC.AllocateArray<byte>(EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + _maxTcpSegment, pinned: true);
        _neighbors = new NeighborCache(config, new FramePool(config.ArpPendingPackets * 4, Math.Max(frameSize, 64)));
    }

    /// <summary>
    /// The device refused to segment (the frame in hand is lost): TCP writes MSS-sized segments from now on, retransmissions
    /// included (each segment is cut from the send buffer anew, <see cref="TcpStack.OffloadSegmentBytes"/> read every time),
    /// so the loss costs a retransmission, not the connection.
    /// </summary>
    private void StopSegmenting()
    {
        _segmentingOutput = null;
        Tcp.OffloadSegmentBytes = 0;
        Stats.SegmentationStopped = 1;
    }

    public InterfaceConfig Config => _config;
    public TcpStack Tcp { get; }
    public InterfaceStats Stats { get; } = new();
    public IEchoReplyListener? EchoReplies { get; set; }
    public IArpObserver? ArpObserver { get; set; }
    /// <summary>False while the interface waits for an address (<see cref="InterfaceConfig.Address"/> is 0.0.0.0, as before a
    /// DHCP lease): it then answers no ARP request and accepts only broadcast UDP.</summary>
    public bool HasAddress => _config.Address != Ipv4Address.Any;
    public int NeighborCount => _neighbors.Count;

    /// <summary>
    /// The real time, read when output leaves, for a live device: time passes while frames are processed, and an ACK
    /// leaves after its segment's batch (or, naive, right after its segment), so the ACK delay the TCP layer records
    /// must end when the ACK is written, not at its segment's arrival. Null on virtual time (simulations, tests):
    /// output is stamped with the time it is handled at.
    /// </summary>
    public Func<Instant>? Clock { get; init; }

    public bool IsResolved(Ipv4Address address) => _neighbors.TryGet(address, out _);

    /// <summary>Configures a neighbour's MAC so no ARP is ever needed for it (point-to-point and simulated links).</summary>
    public void AddStaticNeighbor(Ipv4Address address, MacAddress mac) => _neighbors.AddStatic(address, mac);

    public Instant NextDeadline => Instant.Min(_neighbors.NextDeadline, Tcp.NextDeadline);

    /// <summary>Announces our address with a gratuitous ARP request (RFC 5227 §3: sender and target both our address),
    /// unless the address is the kernel's, which announced it itself.</summary>
    public void Start(Instant now)
    {
        if (HasAddress && !_config.SharesHostAddress) SendArp(ArpOperation.Request, MacAddress.Broadcast, MacAddress.Zero, _config.Address);
    }

    /// <summary>
    /// Takes a new address (a DHCP lease; 0.0.0.0 gives it up), prefix, gateway and MTU, and announces the address (RFC 5227
    /// §2.3). The MTU is capped at the device's; new connections' MSS follows it. Connections from an address given up fail
    /// (<see cref="TcpStack.OnAddressLost"/>). A gateway off the new subnet is not used.
    /// </summary>
    public void Configure(Ipv4Address address, int prefixLength, Ipv4Address? gateway, int? mtu, Instant now)
    {
        var previous = _config.Address;
        int linkMtu = Math.Min(mtu ?? _deviceMtu, _deviceMtu);
        _config = _config with
        {
            Address = address,
            PrefixLength = prefixLength,
            Gateway = gateway is { } g && g.IsInSubnet(address, prefixLength) && g != address ? g : null,
            Mtu = Math.Max(linkMtu, 576), // RFC 791: every host handles 576; a smaller option 26 is not honoured
        };
        Tcp.Config = Tcp.Config with { MaxSegmentSize = Math.Min(_configuredMss, _config.Mtu - 40) };
        if (previous != Ipv4Address.Any && previous != address) Tcp.OnAddressLost(previous);
        Start(now);
    }

    /// <summary>An RFC 5227 §2.1.1 probe for <paramref name="target"/>: an ARP request from sender address 0.0.0.0.</summary>
    public void SendArpProbe(Ipv4Address target) => SendArp(ArpOperation.Request, MacAddress.Broadcast, MacAddress.Zero, target, Ipv4Address.Any);

    public void BindUdp(ushort port, IUdpReceiver receiver)
    {
        if (!TryBindUdp(port, receiver)) throw new InvalidOperationException($"UDP port {port} is already bound");
    }

    /// <summary>Binds <paramref name="port"/> unless it is taken; false when it is.</summary>
    public bool TryBindUdp(ushort port, IUdpReceiver receiver) => _udp.TryAdd(port, receiver);

    public void UnbindUdp(ushort port) => _udp.Remove(port);

    public bool IsUdpBound(ushort port) => _udp.ContainsKey(port);

    // ------------------------------------------------------------------ input

    /// <summary>Processes one received frame (valid only during the call).</summary>
    public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
    {
        Stats.FramesReceived++;
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok) { Stats.DropBadEthernet++; return; }
        var destination = ethernet.Destination;
        if (destination != _config.MacAddress && !destination.IsBroadcast) { Stats.DropNotForUs++; return; }
        switch (ethernet.EtherType)
        {
            case EtherType.Arp: OnArp(ethernet.Payload, now); break;
            case EtherType.Ipv4: OnIpv4(ethernet.Source, ethernet.Payload, now); break;
            default: Stats.DropUnsupportedEtherType++; break;
        }
    }

    /// <summary>
    /// RFC 826 "packet reception": merge the sender if known, or create it if a request is for us; answer requests for our
    /// address only. A reply we did not ask for creates nothing (Linux arp_accept = 0; with a shared address the kernel
    /// asked, and its replies are taken), and a known neighbour's MAC changes
    /// only after <see cref="InterfaceConfig.ArpLockTime"/> or by a gratuitous ARP, as Linux's locktime (arp_process).
    /// ARP has no authentication: anyone on the link can still claim an address after that, with Linux as with us.
    /// </summary>
    private void OnArp(ReadOnlySpan<byte> payload, Instant now)
    {
        if (ArpPacket.TryParse(payload, out var arp) != WireStatus.Ok) { Stats.DropBadArp++; return; }
        Stats.Delivered++;
        var sender = arp.SenderProtocolAddress;
        ArpObserver?.OnArp(arp.Operation, sender, arp.SenderHardwareAddress, arp.TargetProtocolAddress, now);
        if (!HasAddress) return; // neither answer nor learn: the address is not ours yet (RFC 5227 §2.1.1)
        bool forUs = arp.TargetProtocolAddress == _config.Address;
        if (sender == _config.Address) return; // our own gratuitous ARP, or a conflict we do not resolve here
        if (sender != Ipv4Address.Any && sender.IsInSubnet(_config.Address, _config.PrefixLength))
        {
            // A shared address's ARP is the kernel's: a reply to it answers the kernel's request, which the stack sees too.
            bool solicited = arp.Operation == ArpOperation.Request || _config.SharesHostAddress;
            var waiting = _neighbors.Learn(sender, arp.SenderHardwareAddress, now, create: forUs && solicited,
                                           gratuitous: arp.TargetProtocolAddress == sender, Stats);
            if (waiting is not null) SendHeld(waiting);
        }
        if (arp.Operation == ArpOperation.Reply)
        {
            Stats.ArpRepliesReceived++;
            return;
        }
        if (!forUs || _config.SharesHostAddress) return; // a shared address's ARP is the kernel's to answer
        SendArp(ArpOperation.Reply, arp.SenderHardwareAddress, arp.SenderHardwareAddress, sender);
        Stats.ArpRepliesSent++;
    }

    private void OnIpv4(MacAddress sourceMac, ReadOnlySpan<byte> payload, Instant now)
    {
        if (Ipv4Packet.TryParse(payload, out var ip) != WireStatus.Ok) { Stats.DropBadIpv4++; return; }
        // Limited broadcast is for UDP only: DHCP's answers before we have an address (RFC 2131 §4.1, BROADCAST flag).
        bool toUs = ip.Destination == _config.Address && HasAddress; // nothing is for 0.0.0.0
        if (!toUs && !(ip.Destination == Ipv4Address.Broadcast && ip.Protocol == IpProtocol.Udp))
        {
            Stats.DropIpv4NotForUs++;
            return;
        }
        if (ip.IsFragment) { Stats.DropFragment++; return; } // RFC 791 reassembly is not offered: counted, never half-processed
        var source = ip.Source;
        if (source.IsInSubnet(_config.Address, _config.PrefixLength)) _neighbors.Touch(source, sourceMac, now);
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp: OnTcp(ip, now); break;
            case IpProtocol.Udp: OnUdp(ip, now); break;
            case IpProtocol.Icmp: OnIcmp(sourceMac, ip, now); break;
            default: Stats.DropUnknownProtocol++; break;
        }
    }

    private void OnTcp(in Ipv4Packet ip, Instant now)
    {
        if (TcpSegment.TryParse(ip.Payload, out var segment) != WireStatus.Ok) { Stats.DropBadTcp++; return; }
        if (_config.SharesHostAddress && !IsOurPort(segment.DestinationPort)) { Stats.DropHostFlow++; return; } // the kernel's connection: no RST
        if (!ChecksumAcceptable(ChecksumOf(segment, ip))) return;
        Stats.Delivered++;
        if (Tcp.OnSegment(ip.Source, ip.Destination, segment, now)) Flush(Clock?.Invoke() ?? now); // naive ACK policy: this ACK cannot wait
    }

    /// <summary>On a shared address, the ports the firewall keeps from the kernel: the reserved range and our listeners'.</summary>
    private bool IsOurPort(ushort port) => _config.LocalPorts is { } ports && ports.Contains(port) || Tcp.HasListener(port);

    /// <summary>
    /// Where partial checksums pass anyway, a field that holds the pseudo-header sum is taken as partial before the
    /// payload is summed: a local kernel's offloaded frames (veth with TSO/GSO, up to 64 KiB each, every one partial) then
    /// cost a comparison instead of a pass over every byte, as Linux skips verifying CHECKSUM_PARTIAL skbs
    /// (skb_csum_unnecessary). The frames accepted are the same as after summing; only a valid sum that happens to equal
    /// the pseudo-header sum (1 in 65,536) is counted as partial instead of valid.
    /// </summary>
    private ChecksumVerdict ChecksumOf(in TcpSegment segment, in Ipv4Packet ip)
    {
        if (_config.Checksums == ChecksumPolicy.Off) return ChecksumVerdict.Absent;
        if (_acceptsPartialChecksums && InternetChecksum.IsPartial(segment.Checksum, ip.Source, ip.Destination, IpProtocol.Tcp, segment.Length))
            return ChecksumVerdict.Partial;
        return segment.VerifyChecksum(ip.Source, ip.Destination);
    }

    private void OnUdp(in Ipv4Packet ip, Instant now)
    {
        if (UdpDatagram.TryParse(ip.Payload, out var udp) != WireStatus.Ok) { Stats.DropBadUdp++; return; }
        var verdict = _config.Checksums == ChecksumPolicy.Off ? ChecksumVerdict.Absent : udp.VerifyChecksum(ip.Source, ip.Destination);
        if (!ChecksumAcceptable(verdict)) return;
        if (!_udp.TryGetValue(udp.DestinationPort, out var receiver)) { Stats.DropUdpNoListener++; return; }
        Stats.Delivered++;
        receiver.OnDatagram(ip.Source, udp.SourcePort, udp.DestinationPort, udp.Payload, now);
    }

    private bool ChecksumAcceptable(ChecksumVerdict verdict)
    {
        switch (verdict)
        {
            case ChecksumVerdict.Valid:
                return true;
            case ChecksumVerdict.Absent:
                if (_config.Checksums == ChecksumPolicy.Off) Stats.ChecksumsUnchecked++;
                return true;
            case ChecksumVerdict.Partial when _acceptsPartialChecksums:
                Stats.PartialChecksumsAccepted++;
                return true;
            default:
                Stats.DropBadChecksum++;
                return false;
        }
    }

    private void OnIcmp(MacAddress sourceMac, in Ipv4Packet ip, Instant now)
    {
        if (IcmpPacket.TryParse(ip.Payload, out var icmp) != WireStatus.Ok) { Stats.DropBadIcmp++; return; }
        Stats.Delivered++;
        switch (icmp.Type)
        {
            case IcmpType.EchoRequest when _config.SharesHostAddress:
                break; // the kernel answers for its own address
            case IcmpType.EchoRequest:
                // RFC 1122 §3.2.2.6: the reply carries the request's identifier, sequence number and data.
                int length = FrameWriter.WriteIcmpEcho(_frame,
                    new EthernetHeader(sourceMac, _config.MacAddress, EtherType.Ipv4),
                    new Ipv4Header(_config.Address, ip.Source, IpProtocol.Icmp, _config.TimeToLive, NextIdentification(), DontFragment: false),
                    new IcmpEchoHeader(IcmpType.EchoReply, icmp.Identifier, icmp.SequenceNumber), icmp.Payload);
                Transmit(_frame.AsSpan(0, length));
                Stats.IcmpEchoRepliesSent++;
                break;
            case IcmpType.EchoReply:
                Stats.IcmpEchoRepliesReceived++;
                EchoReplies?.OnEchoReply(ip.Source, icmp.Identifier, icmp.SequenceNumber, icmp.Payload.Length, ip.TimeToLive, now);
                break;
            case IcmpType.DestinationUnreachable when icmp.Payload.Length >= Ipv4Packet.MinHeaderLength:
                OnQuotedUnreachable(icmp.Code, icmp.NextHopMtu, icmp.Payload, now);
                break;
        }
    }

    /// <summary>
    /// An ICMP destination unreachable quotes the IPv4 header and first 8 bytes of what we sent (RFC 792), so both ports:
    /// it concerns only the TCP connection (RFC 1122 §4.2.3.9) or the UDP port (§4.1.3.3) it quotes, never every
    /// conversation with that host. Quotes of datagrams we did not send are ignored. TCP also gets the quoted sequence
    /// number (the 8 bytes hold it) and the next-hop MTU, for "fragmentation needed" (RFC 1191 §3, RFC 5927 §4.1).
    /// </summary>
    private void OnQuotedUnreachable(byte code, ushort nextHopMtu, ReadOnlySpan<byte> quoted, Instant now)
    {
        int headerLength = (quoted[0] & 0x0F) * 4;
        if (headerLength < Ipv4Packet.MinHeaderLength || quoted.Length < headerLength + 4 || Ipv4Address.Read(quoted[12..]) != _config.Address) return;
        var destination = Ipv4Address.Read(quoted[16..]);
        ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(quoted[headerLength..]);
        ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(quoted[(headerLength + 2)..]);
        switch ((IpProtocol)quoted[9])
        {
            case IpProtocol.Tcp when quoted.Length >= headerLength + 8:
                var quotedSeq = new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(quoted[(headerLength + 4)..]));
                Tcp.OnIcmpUnreachable(new TcpFourTuple(_config.Address, sourcePort, destination, destinationPort), code, quotedSeq, nextHopMtu);
                break;
            case IpProtocol.Udp when _udp.TryGetValue(sourcePort, out var receiver):
                var reason = code switch
                {
                    0 => UnreachableReason.NetworkUnreachable,
                    3 => UnreachableReason.PortUnreachable,
                    _ => UnreachableReason.HostUnreachable,
                };
                receiver.OnUnreachable(sourcePort, destination, reason, now);
                break;
        }
    }

    /// <summary>Tells TCP (connections being opened fail) and every bound UDP port that <paramref name="destination"/> cannot be reached.</summary>
    private void ReportUnreachable(Ipv4Address destination, UnreachableReason reason, Instant now)
    {
        Tcp.OnDestinationUnreachable(destination);
        if (_udp.Count == 0) return;
        _udpSnapshot.Clear();
        foreach (var (port, receiver) in _udp) _udpSnapshot.Add((port, receiver)); // receivers may unbind meanwhile
        foreach (var (port, receiver) in _udpSnapshot) receiver.OnUnreachable(port, destination, reason, now);
    }

    // ------------------------------------------------------------------ output

    /// <summary>Sends an ICMP echo request (ping).</summary>
    public void SendEchoRequest(Ipv4Address destination, ushort identifier, ushort sequence, ReadOnlySpan<byte> data, Instant now)
    {
        int length = FrameWriter.WriteIcmpEcho(_frame, new EthernetHeader(MacAddress.Zero, _config.MacAddress, EtherType.Ipv4),
            new Ipv4Header(_config.Address, destination, IpProtocol.Icmp, _config.TimeToLive, NextIdentification(), DontFragment: false),
            new IcmpEchoHeader(IcmpType.EchoRequest, identifier, sequence), data);
        Route(_frame.AsSpan(0, length), destination, now);
    }

    /// <summary>Sends a UDP datagram from <paramref name="sourcePort"/>; when it cannot leave (no route, later no ARP reply),
    /// the bound receivers hear of it through <see cref="IUdpReceiver.OnUnreachable"/>.</summary>
    public void SendUdp(ushort sourcePort, Ipv4Address destination, ushort destinationPort, ReadOnlySpan<byte> payload, Instant now)
    {
        if (payload.Length > _config.Mtu - Ipv4Packet.MinHeaderLength - UdpDatagram.HeaderLength)
            throw new ArgumentException($"a UDP payload of {payload.Length} bytes does not fit the MTU (no fragmentation)", nameof(payload));
        int length = FrameWriter.WriteUdp(_frame, new EthernetHeader(MacAddress.Zero, _config.MacAddress, EtherType.Ipv4),
            new Ipv4Header(_config.Address, destination, IpProtocol.Udp, _config.TimeToLive, NextIdentification()),
            new UdpHeader(sourcePort, destinationPort), payload);
        Route(_frame.AsSpan(0, length), destination, now);
    }

    /// <summary>Sends what the TCP layer has pending, ARP requests that are due, and reports unreachable neighbours.</summary>
    public int Flush(Instant now)
    {
        RunArpTimers(now);
        if (!Tcp.HasPendingOutput) return 0;
        var writer = new TcpFrameWriter(this, now);
        int written = Tcp.Flush(ref writer, now);
        // Payloads handed over by reference must not outlive this flush: the next acknowledgment may free their chunks.
        if (writer.ReferencedPayloads) ((ISegmentingFrameOutput)_output).SettlePayloads();
        return written;
    }

    /// <summary>Runs TCP and ARP timers that are due.</summary>
    public void OnTimers(Instant now)
    {
        if (Tcp.NextDeadline <= now) Tcp.OnTimers(now);
        RunArpTimers(now);
    }

    private void RunArpTimers(Instant now)
    {
        if (_neighbors.NextDeadline > now) return;
        _due.Clear();
        _unreachable.Clear();
        _neighbors.DueRequests(now, _due, _unreachable, Stats);
        foreach (var address in _due) SendArp(ArpOperation.Request, MacAddress.Broadcast, MacAddress.Zero, address);
        foreach (var address in _unreachable) ReportUnreachable(address, UnreachableReason.NoArpReply, now);
    }

    /// <summary>Fills in the destination MAC of an IPv4 frame for <paramref name="destination"/> and sends it, or holds it
    /// until ARP resolves the next hop (on-link destination or the gateway).</summary>
    private void Route(Span<byte> frame, Ipv4Address destination, Instant now, int segmentSize = 0) =>
        Route(frame, destination, now, segmentSize, default);

    /// <param name="payload">Bytes of the frame that follow <paramref name="frame"/> but stay where they are (a segment's
    /// payload in its send buffer): handed to the output by reference when the frame goes out to be segmented, copied
    /// behind the headers in <see cref="_frame"/> (which <paramref name="frame"/> then must start) where the frame is sent
    /// or held whole.</param>
    private void Route(Span<byte> frame, Ipv4Address destination, Instant now, int segmentSize, in SegmentPayload payload)
    {
        if (destination == Ipv4Address.Broadcast)
        {
            frame = Whole(frame, in payload);
            MacAddress.Broadcast.Write(frame);
            Transmit(frame);
            return;
        }
        Ipv4Address nextHop;
        if (destination.IsInSubnet(_config.Address, _config.PrefixLength)) nextHop = destination;
        else if (_config.Gateway is { } gateway) nextHop = gateway;
        else
        {
            Stats.NoRoute++;
            ReportUnreachable(destination, UnreachableReason.NoRoute, now);
            return;
        }
        if (_neighbors.TryGet(nextHop, out var mac))
        {
            mac.Write(frame);
            if (segmentSize > 0)
            {
                Stats.FramesSent++;
                Stats.SegmentedFramesSent++;
                if (payload.Count > 0) _segmentingOutput!.TransmitSegmented(frame, in payload, segmentSize);
                else _segmentingOutput!.TransmitSegmented(frame, segmentSize);
                if (_segmentingOutput.MaxSegmentedFrameBytes == 0) StopSegmenting();
            }
            else
            {
                Transmit(Whole(frame, in payload));
            }
        }
        else if (_neighbors.Hold(nextHop, Whole(frame, in payload), now, Stats))
        {
            RunArpTimers(now); // the first request goes out at once; retries follow the schedule
        }
    }

    /// <summary><paramref name="frame"/> (the start of <see cref="_frame"/>) with <paramref name="payload"/> copied behind it.</summary>
    private Span<byte> Whole(Span<byte> frame, scoped in SegmentPayload payload)
    {
        if (payload.Count == 0) return frame;
        payload.CopyTo(_frame.AsSpan(frame.Length));
        return _frame.AsSpan(0, frame.Length + payload.Length);
    }

    private void SendHeld(NeighborCache.Neighbor neighbor)
    {
        foreach (var (buffer, length) in neighbor.Pending)
        {
            var frame = buffer.Span[..length];
            neighbor.Mac.Write(frame);
            Transmit(frame);
        }
        _neighbors.Release(neighbor);
    }

    private void SendArp(ArpOperation operation, MacAddress ethernetDestination, MacAddress targetMac, Ipv4Address target, Ipv4Address? sender = null)
    {
        var senderAddress = sender ?? _config.Address;
        int length = FrameWriter.WriteArp(_frame, new EthernetHeader(ethernetDestination, _config.MacAddress, EtherType.Arp),
            new ArpMessage(operation, _config.MacAddress, senderAddress, targetMac, target));
        if (operation == ArpOperation.Request && target != senderAddress) Stats.ArpRequestsSent++;
        Transmit(_frame.AsSpan(0, length));
    }

    private void Transmit(ReadOnlySpan<byte> frame)
    {
        Stats.FramesSent++;
        _output.Transmit(frame);
    }

    /// <summary>The IPv4 identification of the next datagram; a segmented one takes one per segment, as the kernel numbers
    /// the pieces from its value on (inet_gso_segment).</summary>
    private ushort NextIdentification(int datagrams = 1)
    {
        ushort id = _identification;
        _identification = unchecked((ushort)(id + datagrams));
        return id;
    }

    /// <summary>Lends the TCP layer the space after the Ethernet and IPv4 headers, then routes the finished frame.</summary>
    private struct TcpFrameWriter(NetworkInterface owner, Instant now) : ITcpSegmentWriter
    {
        private const int HeadersLength = EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength;
        private Ipv4Address _destination;

        /// <summary>Whether a segment went to the output with its payload by reference (the flush must settle them).</summary>
        public bool ReferencedPayloads { get; private set; }

        public readonly bool TakesPayloadByReference => owner._segmentingOutput is { TakesPayloadByReference: true };

        public Span<byte> Begin(Ipv4Address source, Ipv4Address destination)
        {
            _destination = destination;
            return owner._frame.AsSpan(HeadersLength, owner._maxTcpSegment);
        }

        public void Commit(int segmentLength, int segmentSize) => Commit(segmentLength, segmentSize, default);

        public void Commit(int headerLength, int segmentSize, in SegmentPayload payload)
        {
            if (headerLength == 0) return;
            int segmentLength = headerLength + payload.Length;
            var frame = owner._frame.AsSpan(0, HeadersLength + headerLength);
            int datagrams = 1;
            if (segmentSize > 0)
            {
                int tcpHeaderLength = (frame[HeadersLength + 12] >> 4) * 4; // the data offset the TCP layer just wrote
                datagrams = (segmentLength - tcpHeaderLength + segmentSize - 1) / segmentSize;
            }
            new EthernetHeader(MacAddress.Zero, owner._config.MacAddress, EtherType.Ipv4).Emit(frame);
            new Ipv4Header(owner._config.Address, _destination, IpProtocol.Tcp, owner._config.TimeToLive, owner.NextIdentification(datagrams))
                .Emit(frame[EthernetFrame.HeaderLength..], segmentLength);
            if (payload.Count > 0) ReferencedPayloads = true;
            owner.Route(frame, _destination, now, segmentSize, in payload);
        }
    }
}
