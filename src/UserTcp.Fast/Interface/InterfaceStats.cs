namespace UserTcp.Fast.Interface;

/// <summary>Counters of the interface layer: frames in and out, and every drop by its reason. Only the poll-loop thread writes them.</summary>
internal sealed class InterfaceStats
{
    public long FramesReceived;
    /// <summary>Frames handed to ARP, ICMP, UDP or TCP processing. FramesReceived = Delivered + every drop.</summary>
    public long Delivered;
    public long FramesSent;
    /// <summary>Of <see cref="FramesSent"/>, TCP frames of several segments handed to the device to segment (GSO).</summary>
    public long SegmentedFramesSent;
    /// <summary>1 once the device stopped segmenting (its segmenting socket could not be opened): MSS-sized frames since.</summary>
    public long SegmentationStopped;
    public long DropNotForUs;
    public long DropBadEthernet;
    public long DropUnsupportedEtherType;
    public long DropBadArp;
    public long DropBadIpv4;
    public long DropIpv4NotForUs;
    public long DropFragment;
    public long DropUnknownProtocol;
    public long DropBadIcmp;
    public long DropBadUdp;
    public long DropUdpNoListener;
    public long DropBadTcp;
    /// <summary>TCP for a port of the kernel's, seen on an address shared with it (<see cref="InterfaceConfig.SharesHostAddress"/>).</summary>
    public long DropHostFlow;
    public long DropBadChecksum;
    public long PartialChecksumsAccepted;
    public long ChecksumsUnchecked;
    public long ArpRequestsSent;
    public long ArpRepliesSent;
    public long ArpRepliesReceived;
    public long ArpUnresolved;
    public long ArpPendingDropped;
    /// <summary>ARP packets that would have changed a neighbour's MAC within <see cref="InterfaceConfig.ArpLockTime"/>.</summary>
    public long ArpUpdatesLocked;
    public long IcmpEchoRepliesSent;
    public long IcmpEchoRepliesReceived;
    public long NoRoute;

    /// <summary>Every drop counter as (reason, count), for --stats and metrics.</summary>
    public IEnumerable<(string Reason, long Count)> Drops()
    {
        yield return ("not-for-us", DropNotForUs);
        yield return ("bad-ethernet", DropBadEthernet);
        yield return ("unsupported-ethertype", DropUnsupportedEtherType);
        yield return ("bad-arp", DropBadArp);
        yield return ("bad-ipv4", DropBadIpv4);
        yield return ("ipv4-not-for-us", DropIpv4NotForUs);
        yield return ("fragment", DropFragment);
        yield return ("unknown-protocol", DropUnknownProtocol);
        yield return ("bad-icmp", DropBadIcmp);
        yield return ("bad-udp", DropBadUdp);
        yield return ("udp-no-listener", DropUdpNoListener);
        yield return ("bad-tcp", DropBadTcp);
        yield return ("host-flow", DropHostFlow);
        yield return ("bad-checksum", DropBadChecksum);
        yield return ("arp-pending-overflow", ArpPendingDropped);
        yield return ("no-route", NoRoute);
    }

    public long TotalDrops => Drops().Sum(d => d.Count);
}
