using UserTcp.Fast.Buffers;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Interface;

/// <summary>
/// The ARP cache (RFC 826): IPv4 → MAC with a lifetime refreshed by traffic from the neighbour, requests with
/// retries, and a bounded queue per unresolved neighbour of packets waiting to go (the first packet to a new
/// neighbour is held, not dropped). Sans-IO: the interface asks what to send and when.
/// </summary>
internal sealed class NeighborCache(InterfaceConfig config, FramePool pool)
{
    private readonly Dictionary<Ipv4Address, Neighbor> _neighbors = new();
    private readonly List<Ipv4Address> _scratch = new(16);

    internal sealed class Neighbor(int pendingCapacity)
    {
        public MacAddress Mac;
        public bool Resolved;
        /// <summary>Configured, not learned: never expires, never refreshed or replaced by ARP.</summary>
        public bool Static;
        public Instant ExpiresAt = Instant.Never;
        /// <summary>When <see cref="Mac"/> was last set by ARP (for <see cref="InterfaceConfig.ArpLockTime"/>).</summary>
        public Instant LearnedAt = Instant.Never;
        /// <summary>Requests sent since the last answer; Never when no request is due.</summary>
        public int RequestsSent;
        public Instant NextRequestAt = Instant.Never;
        public readonly Queue<(FrameBuffer Buffer, int Length)> Pending = new(pendingCapacity);
    }

    public int Count => _neighbors.Count;

    /// <summary>A neighbour known without ARP (a point-to-point or simulated link).</summary>
    public void AddStatic(Ipv4Address address, MacAddress mac) =>
        _neighbors[address] = new Neighbor(config.ArpPendingPackets) { Mac = mac, Resolved = true, Static = true };

    /// <summary>The neighbour's MAC if it is resolved (even if due for a refresh).</summary>
    public bool TryGet(Ipv4Address address, out MacAddress mac)
    {
        if (_neighbors.TryGetValue(address, out var n) && n.Resolved)
        {
            mac = n.Mac;
            return true;
        }
        mac = default;
        return false;
    }

    /// <summary>Learns or refreshes a mapping from an ARP packet about it. Returns the neighbour if it had packets waiting,
    /// so the caller can send them now. A different MAC within the lock time is ignored unless <paramref name="gratuitous"/>
    /// (Linux arp_process: override only after locktime or for a gratuitous ARP), and counted in <paramref name="stats"/>.</summary>
    public Neighbor? Learn(Ipv4Address address, MacAddress mac, Instant now, bool create, bool gratuitous, InterfaceStats stats)
    {
        if (!_neighbors.TryGetValue(address, out var n))
        {
            if (!create || !MakeRoom()) return null;
            n = new Neighbor(config.ArpPendingPackets);
            _neighbors.Add(address, n);
        }
        if (n.Static) return null;
        if (n.Resolved && n.Mac != mac && !gratuitous && now < n.LearnedAt + config.ArpLockTime)
        {
            stats.ArpUpdatesLocked++;
            return null;
        }
        n.LearnedAt = now;
        n.Mac = mac;
        n.Resolved = true;
        n.ExpiresAt = now + config.ArpEntryLifetime;
        n.RequestsSent = 0;
        n.NextRequestAt = Instant.Never;
        return n.Pending.Count > 0 ? n : null;
    }

    /// <summary>Refreshes the lifetime of a known neighbour that just sent us something (PITFALLS: never evict an active peer).</summary>
    public void Touch(Ipv4Address address, MacAddress mac, Instant now)
    {
        if (_neighbors.TryGetValue(address, out var n) && n.Resolved && !n.Static && n.Mac == mac) n.ExpiresAt = now + config.ArpEntryLifetime;
    }

    /// <summary>Holds a frame for an unresolved neighbour. Returns true when a request should go out now (first packet).</summary>
    public bool Hold(Ipv4Address address, ReadOnlySpan<byte> frame, Instant now, InterfaceStats stats)
    {
        if (!_neighbors.TryGetValue(address, out var n))
        {
            if (!MakeRoom())
            {
                stats.ArpPendingDropped++;
                return false;
            }
            n = new Neighbor(config.ArpPendingPackets);
            _neighbors.Add(address, n);
        }
        if (n.Pending.Count >= config.ArpPendingPackets || frame.Length > pool.BufferSize || !pool.TryRent(out var buffer))
        {
            stats.ArpPendingDropped++;
        }
        else
        {
            frame.CopyTo(buffer.Span);
            n.Pending.Enqueue((buffer, frame.Length));
        }
        if (n.NextRequestAt.IsNever && !n.Resolved)
        {
            n.NextRequestAt = now; // request now, then every retry interval
            return true;
        }
        return false;
    }

    /// <summary>
    /// Neighbours whose request is due now (bumping their retry schedule) go to <paramref name="due"/>. A neighbour out
    /// of retries is forgotten and its held packets dropped; their IPv4 destinations go to <paramref name="unreachable"/>.
    /// </summary>
    public void DueRequests(Instant now, List<Ipv4Address> due, List<Ipv4Address> unreachable, InterfaceStats stats)
    {
        _scratch.Clear();
        foreach (var (address, n) in _neighbors)
        {
            if (n.Resolved && n.ExpiresAt <= now && n.NextRequestAt.IsNever) n.NextRequestAt = now; // refresh a stale entry
            if (n.NextRequestAt > now) continue;
            if (n.RequestsSent >= config.ArpRequests)
            {
                _scratch.Add(address);
                continue;
            }
            n.RequestsSent++;
            n.NextRequestAt = now + config.ArpRetryInterval;
            due.Add(address);
        }
        foreach (var address in _scratch)
        {
            var n = _neighbors[address];
            stats.ArpUnresolved++;
            if (!unreachable.Contains(address)) unreachable.Add(address);
            while (n.Pending.TryDequeue(out var p))
            {
                var destination = Ipv4Address.Read(p.Buffer.Span[(EthernetFrame.HeaderLength + 16)..]);
                if (!unreachable.Contains(destination)) unreachable.Add(destination);
                pool.Return(p.Buffer);
                stats.ArpPendingDropped++;
            }
            _neighbors.Remove(address);
        }
    }

    /// <summary>Returns a neighbour's held frames to the pool after the caller sent them.</summary>
    public void Release(Neighbor neighbor)
    {
        while (neighbor.Pending.TryDequeue(out var p)) pool.Return(p.Buffer);
    }

    public Instant NextDeadline
    {
        get
        {
            var next = Instant.Never;
            foreach (var n in _neighbors.Values)
            {
                next = Instant.Min(next, n.NextRequestAt);
                if (n.Resolved) next = Instant.Min(next, n.ExpiresAt);
            }
            return next;
        }
    }

    /// <summary>Evicts an expired, idle entry when the cache is full; false when nothing can go.</summary>
    private bool MakeRoom()
    {
        if (_neighbors.Count < config.ArpCacheSize) return true;
        _scratch.Clear();
        foreach (var (address, n) in _neighbors)
            if (n.Pending.Count == 0 && n.NextRequestAt.IsNever) { _scratch.Add(address); break; }
        foreach (var address in _scratch) _neighbors.Remove(address);
        return _scratch.Count > 0;
    }
}
