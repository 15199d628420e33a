namespace UserTcp.Testbed.Fuzzing;

/// <summary>The targets `bench/run-fuzz.sh --list` names, in the order `all` runs them.</summary>
internal static class FuzzTargets
{
    public static readonly FuzzTarget[] All =
    [
        new("ethernet", "Ethernet II frame view (802.1Q tag)", WireTargets.ParseEthernet, SeedCorpus.Frames),
        new("ipv4", "IPv4 header and total length", WireTargets.ParseIpv4, SeedCorpus.Ipv4Packets),
        new("tcp", "TCP segment view, options, emit + parse round trip", WireTargets.ParseTcp, SeedCorpus.TcpSegments),
        new("tcp-options", "TCP option list (MSS, WS, SACK, timestamps), emit + parse round trip", WireTargets.ParseTcpOptions, SeedCorpus.TcpOptionLists),
        new("udp", "UDP datagram view", WireTargets.ParseUdp, SeedCorpus.UdpDatagrams),
        new("icmp", "ICMP message view", WireTargets.ParseIcmp, SeedCorpus.IcmpMessages),
        new("arp", "ARP packet view, emit + parse round trip", WireTargets.ParseArp, SeedCorpus.ArpPackets),
        new("dns", "DNS response parser (compression, CNAME chains)", WireTargets.ParseDns, SeedCorpus.DnsResponses),
        new("frame", "one frame into the interface, connection in the state byte 0 picks; invariants", i => EngineTargets.Frame(i), SeedCorpus.StateFrames),
        new("segments", "segments and application calls into one connection; invariants after each", i => EngineTargets.Segments(i), SeedCorpus.SegmentSequences),
    ];

    public static FuzzTarget Find(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}' (--list names them)", nameof(name));
}
