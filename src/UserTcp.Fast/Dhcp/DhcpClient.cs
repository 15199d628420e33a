using UserTcp.Fast.Interface;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dhcp;

/// <summary>
/// A DHCPv4 client (RFC 2131) for one interface, sans-IO like the rest of the stack: it sends through the interface's
/// UDP (port 68, from 0.0.0.0 to 255.255.255.255 until it holds an address), hears answers through
/// <see cref="IUdpReceiver"/> and ARP through <see cref="IArpObserver"/>, and acts on timers when its owner calls
/// <see cref="OnTimers"/> at <see cref="NextDeadline"/>.
/// <para>
/// INIT → SELECTING (DISCOVER) → REQUESTING (REQUEST for the first OFFER) → ARP probe of the ACKed address
/// (RFC 5227 §2.1.1; an answer: DECLINE, wait, start again) → BOUND (the interface takes the address, prefix, router,
/// MTU) → at T1 RENEWING (REQUEST unicast to the server) → at T2 REBINDING (broadcast) → at expiry the address is given
/// up, its connections fail, and the client starts again. A NAK restarts at INIT. DISCOVER and REQUEST are retransmitted
/// after 4, 8, 16, 32, 64 s ±1 s (RFC 2131 §4.1); after <see cref="DhcpSettings.Attempts"/> unanswered ones the client
/// stops in <see cref="DhcpState.Failed"/>. <see cref="Release"/> gives the lease back.
/// </para>
/// </summary>
internal sealed class DhcpClient : IUdpReceiver, IArpObserver
{
    /// <summary>RFC 5227 §2.1.1 MAX_CONFLICTS: after this many declined addresses the client gives up.</summary>
    public const int MaxConflicts = 10;

    private readonly NetworkInterface _nic;
    private readonly DhcpSettings _settings;
    private readonly DeterministicRandom _random;
    private readonly byte[] _buffer = new byte[DhcpMessage.MaxLength];
    private uint _xid;
    private int _attempt;
    private int _probesSent;
    private int _conflicts;
    private Instant _deadline = Instant.Never;
    private Instant _acquisitionStart;
    private Instant _requestSentAt;
    private DhcpMessage? _offer;
    private DhcpLease? _candidate;

    public DhcpClient(NetworkInterface nic, DhcpSettings settings, DeterministicRandom random)
    {
        settings.Validate();
        _nic = nic;
        _settings = settings;
        _random = random;
    }

    public DhcpState State { get; private set; } = DhcpState.Init;
    /// <summary>The lease in use (BOUND, RENEWING, REBINDING); null otherwise.</summary>
    public DhcpLease? Lease { get; private set; }
    /// <summary>Why the client stopped in <see cref="DhcpState.Failed"/>.</summary>
    public string? Failure { get; private set; }
    public DhcpStats Stats { get; } = new();
    public Instant NextDeadline => _deadline;

    /// <summary>Runs when the interface takes a lease (also a renewed one) and, with null, when it gives its address up.</summary>
    public event Action<DhcpLease?>? LeaseChanged;
    /// <summary>Runs once when the client gives up (<see cref="Failure"/>).</summary>
    public event Action<string>? Failed;

    /// <summary>Binds port 68; the first DISCOVER goes at the owner's next timer run, at once (RFC 2131 §4.4.1's 1–10 s
    /// random wait is for many hosts booting together; one program starting does not need it).</summary>
    public void Start()
    {
        _nic.BindUdp(DhcpMessage.ClientPort, this);
        _deadline = Instant.Zero;
    }

    public void OnTimers(Instant now)
    {
        if (now < _deadline) return;
        switch (State)
        {
            case DhcpState.Init:
                Discover(now);
                break;
            case DhcpState.Selecting when _attempt >= _settings.Attempts:
                Fail($"no DHCP server answered {_attempt} DISCOVERs in {(now - _acquisitionStart).TotalSeconds:0} s");
                break;
            case DhcpState.Selecting:
                Stats.Retransmissions++;
                SendDiscover(now);
                break;
            case DhcpState.Requesting when _attempt >= _settings.Attempts:
                Fail($"DHCP server {_offer!.ServerIdentifier} offered {_offer.YourAddress} but did not answer {_attempt} REQUESTs");
                break;
            case DhcpState.Requesting:
                Stats.Retransmissions++;
                SendRequest(now);
                break;
            case DhcpState.Probing when _probesSent < _settings.Probes:
                SendProbe(now);
                break;
            case DhcpState.Probing:
                Bind(_candidate!, now);
                break;
            case DhcpState.Bound or DhcpState.Renewing or DhcpState.Rebinding:
                OnLeaseTimer(now);
                break;
        }
    }

    /// <summary>RFC 2131 §4.4.5: at T1 renew with the server, at T2 rebind with any, at expiry give the address up.</summary>
    private void OnLeaseTimer(Instant now)
    {
        var lease = Lease!;
        if (now >= lease.ExpiresAt)
        {
            Stats.Expiries++;
            LoseAddress(now);
            Discover(now);
            return;
        }
        if (State == DhcpState.Bound)
        {
            State = DhcpState.Renewing;
            _xid = _random.NextUInt32();
            _attempt = 0;
        }
        if (State == DhcpState.Renewing && now >= lease.RebindAt)
        {
            State = DhcpState.Rebinding;
            _attempt = 0;
        }
        if (_attempt > 0) Stats.Retransmissions++;
        SendRenewal(lease, now);
    }

    /// <summary>Gives the lease back (RFC 2131 §4.4.6: RELEASE to the server) and stops; the interface gives the address up.</summary>
    public void Release(Instant now)
    {
        if (Lease is { } lease)
        {
            // Unicast when the server's MAC is known; at exit there is no time to ask ARP for it, so otherwise broadcast:
            // the server identifier option still names the server.
            var destination = _nic.IsResolved(lease.Server) ? lease.Server : Ipv4Address.Broadcast;
            Send(new DhcpMessage
            {
                Type = DhcpMessageType.Release,
                TransactionId = _random.NextUInt32(),
                ClientMac = _nic.Config.MacAddress,
                ClientAddress = lease.Address,
                ServerIdentifier = lease.Server,
                HasClientIdentifier = true,
            }, destination, now);
            Stats.ReleasesSent++;
            LoseAddress(now);
        }
        State = DhcpState.Released;
        _deadline = Instant.Never;
        _nic.UnbindUdp(DhcpMessage.ClientPort);
    }

    void IUdpReceiver.OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at)
    {
        if (sourcePort != DhcpMessage.ServerPort)
        {
            Stats.DroppedUnexpected++;
            return;
        }
        if (DhcpMessage.TryParse(payload, out var message) != WireStatus.Ok)
        {
            Stats.DroppedMalformed++;
            return;
        }
        if (!message!.IsReply || message.TransactionId != _xid || message.ClientMac != _nic.Config.MacAddress)
        {
            Stats.DroppedUnexpected++;
            return;
        }
        switch (State, message.Type)
        {
            case (DhcpState.Selecting, DhcpMessageType.Offer) when message.YourAddress != Ipv4Address.Any && message.ServerIdentifier is not null:
                Stats.OffersReceived++;
                if (_settings.HostAddresses.Contains(message.YourAddress))
                {
                    Fail($"DHCP server {message.ServerIdentifier} offered {message.YourAddress}, the host's own address on this interface "
                         + "(it knows clients by MAC, which the stack shares with the host): share the host's address (--ip host) or give a spare one (--ip)");
                    break;
                }
                _offer = message; // RFC 2131 §4.4.1: the client may take the first offer
                State = DhcpState.Requesting;
                _attempt = 0;
                SendRequest(at);
                break;
            case (DhcpState.Requesting, DhcpMessageType.Ack) when FromServer(message, _offer!.ServerIdentifier!.Value)
                                                                  && LeaseFrom(message, _offer.ServerIdentifier.Value) is { } lease:
                Stats.AcksReceived++;
                _candidate = lease;
                State = DhcpState.Probing;
                _probesSent = 0;
                if (_settings.Probes == 0) Bind(lease, at);
                else SendProbe(at);
                break;
            case (DhcpState.Renewing or DhcpState.Rebinding, DhcpMessageType.Ack)
                when LeaseFrom(message, message.ServerIdentifier ?? Lease!.Server) is { } renewed:
                Stats.AcksReceived++;
                Stats.Renewals++;
                Bind(renewed, at);
                break;
            case (DhcpState.Requesting, DhcpMessageType.Nak) when FromServer(message, _offer!.ServerIdentifier!.Value):
            case (DhcpState.Renewing or DhcpState.Rebinding, DhcpMessageType.Nak):
                // RFC 2131 §3.1 step 5 and §3.2 step 4: a NAK means start over (and, when renewing, stop using the address).
                Stats.NaksReceived++;
                if (Lease is not null) LoseAddress(at);
                Discover(at);
                break;
            default:
                Stats.DroppedUnexpected++;
                break;
        }
    }

    /// <summary>RFC 5227 §2.1.1: while probing, any ARP packet from the address, or another host's probe for it, is a conflict.</summary>
    void IArpObserver.OnArp(ArpOperation operation, Ipv4Address sender, MacAddress senderMac, Ipv4Address target, Instant now)
    {
        if (State != DhcpState.Probing || senderMac == _nic.Config.MacAddress) return;
        var address = _candidate!.Address;
        if (sender == address || (sender == Ipv4Address.Any && target == address)) Decline(now);
    }

    private static bool FromServer(DhcpMessage message, Ipv4Address server) => message.ServerIdentifier is not { } id || id == server;

    private void Discover(Instant now)
    {
        State = DhcpState.Selecting;
        _xid = _random.NextUInt32();
        _attempt = 0;
        _offer = null;
        _candidate = null;
        _acquisitionStart = now;
        SendDiscover(now);
    }

    private void SendDiscover(Instant now)
    {
        Send(ClientMessage(DhcpMessageType.Discover, now), Ipv4Address.Broadcast, now);
        Stats.DiscoversSent++;
        ScheduleRetransmission(now);
    }

    /// <summary>RFC 2131 §4.3.2 SELECTING: broadcast, with the offered address and the chosen server's identifier.</summary>
    private void SendRequest(Instant now)
    {
        if (_attempt == 0) _requestSentAt = now; // §4.4.1: the lease runs from the time the request was sent
        Send(ClientMessage(DhcpMessageType.Request, now) with
        {
            RequestedIp = _offer!.YourAddress,
            ServerIdentifier = _offer.ServerIdentifier,
        }, Ipv4Address.Broadcast, now);
        Stats.RequestsSent++;
        ScheduleRetransmission(now);
    }

    /// <summary>RFC 2131 §4.3.2 RENEWING (unicast to the server) and REBINDING (broadcast): ciaddr set, no server identifier.
    /// §4.4.5: retransmit after half the time left to T2 (to expiry when rebinding), at least 60 s.</summary>
    private void SendRenewal(DhcpLease lease, Instant now)
    {
        _requestSentAt = now;
        bool renewing = State == DhcpState.Renewing;
        Send(ClientMessage(DhcpMessageType.Request, now) with { ClientAddress = lease.Address, Broadcast = false },
             renewing ? lease.Server : Ipv4Address.Broadcast, now);
        Stats.RequestsSent++;
        _attempt++;
        var until = renewing ? lease.RebindAt : lease.ExpiresAt;
        var wait = TimeSpan.FromTicks(Math.Max(_settings.MinRenewalRetransmission.Ticks, (until - now).Ticks / 2));
        _deadline = Instant.Min(now + wait, until);
    }

    private void SendProbe(Instant now)
    {
        _nic.SendArpProbe(_candidate!.Address);
        Stats.ProbesSent++;
        _probesSent++;
        _deadline = now + _settings.ProbeWait;
    }

    /// <summary>RFC 2131 §4.4.1: the address is in use; DECLINE it and start again after §3.1.5's wait.</summary>
    private void Decline(Instant now)
    {
        var candidate = _candidate!;
        Send(new DhcpMessage
        {
            Type = DhcpMessageType.Decline,
            TransactionId = _xid,
            ClientMac = _nic.Config.MacAddress,
            RequestedIp = candidate.Address,
            ServerIdentifier = candidate.Server,
            HasClientIdentifier = true,
        }, Ipv4Address.Broadcast, now);
        Stats.Conflicts++;
        Stats.DeclinesSent++;
        _candidate = null;
        if (++_conflicts >= MaxConflicts)
        {
            Fail($"{_conflicts} addresses offered were already in use (the last, {candidate.Address}, answered our ARP probe)");
            return;
        }
        State = DhcpState.Init;
        _deadline = now + _settings.DeclineWait;
    }

    private void Bind(DhcpLease lease, Instant now)
    {
        if (State == DhcpState.Probing) Stats.LeasesObtained++;
        _nic.Configure(lease.Address, lease.PrefixLength, lease.Router, lease.Mtu, now);
        Lease = lease;
        _candidate = null;
        _conflicts = 0;
        State = DhcpState.Bound;
        _deadline = lease.RenewAt;
        LeaseChanged?.Invoke(lease);
    }

    private void LoseAddress(Instant now)
    {
        Lease = null;
        _nic.Configure(Ipv4Address.Any, 0, null, null, now);
        LeaseChanged?.Invoke(null);
    }

    private void Fail(string reason)
    {
        State = DhcpState.Failed;
        Failure = reason;
        _deadline = Instant.Never;
        Failed?.Invoke(reason);
    }

    /// <summary>The lease an ACK grants, timed from the REQUEST; null when it grants none (no address or no lease time, which
    /// RFC 2131 table 3 makes mandatory).</summary>
    private DhcpLease? LeaseFrom(DhcpMessage ack, Ipv4Address server)
    {
        if (ack.YourAddress == Ipv4Address.Any || ack.LeaseTime is not { } seconds) return null;
        Instant renewAt, rebindAt, expiresAt;
        if (seconds == uint.MaxValue) renewAt = rebindAt = expiresAt = Instant.Never; // RFC 2132 §9.2: infinite
        else
        {
            var duration = TimeSpan.FromSeconds(seconds);
            // §4.4.5: T1 defaults to half the lease, T2 to 7/8; values that are out of order fall back to these.
            var t1 = ack.RenewalTime is { } r ? TimeSpan.FromSeconds(r) : duration / 2;
            var t2 = ack.RebindingTime is { } b ? TimeSpan.FromSeconds(b) : duration * 7 / 8;
            if (!(t1 <= t2 && t2 <= duration)) (t1, t2) = (duration / 2, duration * 7 / 8);
            renewAt = _requestSentAt + t1;
            rebindAt = _requestSentAt + t2;
            expiresAt = _requestSentAt + duration;
        }
        return new DhcpLease
        {
            Address = ack.YourAddress,
            PrefixLength = ack.PrefixLength ?? ClassfulPrefix(ack.YourAddress),
            Router = ack.Router,
            DnsServers = ack.DnsServers,
            Mtu = ack.Mtu,
            Server = server,
            Duration = TimeSpan.FromSeconds(seconds),
            RenewAt = renewAt,
            RebindAt = rebindAt,
            ExpiresAt = expiresAt,
        };
    }

    /// <summary>RFC 2131 §4.4.1 lets a client without option 1 assume its address class's mask (RFC 791's classes).</summary>
    private static int ClassfulPrefix(Ipv4Address address) => (address.Value >> 24) switch
    {
        < 128 => 8,
        < 192 => 16,
        _ => 24,
    };

    private DhcpMessage ClientMessage(DhcpMessageType type, Instant now) => new()
    {
        Type = type,
        TransactionId = _xid,
        Seconds = (ushort)Math.Min((now - _acquisitionStart).TotalSeconds, ushort.MaxValue),
        Broadcast = true, // we cannot receive unicast to an address we do not hold yet (§4.1)
        ClientMac = _nic.Config.MacAddress,
        RequestsParameters = true,
        HasClientIdentifier = true,
        HostName = _settings.HostName,
    };

    private void ScheduleRetransmission(Instant now)
    {
        long doubled = Math.Min(_settings.FirstRetransmission.Ticks << Math.Min(_attempt, 16), _settings.MaxRetransmission.Ticks);
        var jitter = TimeSpan.FromTicks((long)((_random.NextDouble() * 2 - 1) * _settings.Jitter.Ticks));
        _deadline = now + TimeSpan.FromTicks(doubled) + jitter;
        _attempt++;
    }

    private void Send(DhcpMessage message, Ipv4Address destination, Instant now)
    {
        int length = message.Write(_buffer);
        _nic.SendUdp(DhcpMessage.ClientPort, destination, DhcpMessage.ServerPort, _buffer.AsSpan(0, length), now);
    }
}
