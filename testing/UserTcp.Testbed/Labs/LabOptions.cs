namespace UserTcp.Testbed.Labs;

/// <summary>
/// What <see cref="Lab.Up"/> makes. <c>up</c> is declarative: the lab afterwards is exactly what these options say,
/// so leaving <see cref="Rate"/> out of a second <c>up</c> removes an earlier rate limit.
/// </summary>
internal sealed record LabOptions
{
    public const string DefaultFiles = "1M,16M";

    public string Name { get; init; } = LabNames.DefaultName;

    /// <summary>TSO, GSO, GRO and checksum offloads on both veth ends.</summary>
    public bool Offload { get; init; } = true;

    /// <summary>Percent of the IPv4 packets the server sends into the veth that are dropped (0..100, steps of 0.01).</summary>
    public decimal LossPercent { get; init; }

    /// <summary>Percent of the IPv4 packets arriving at the server from the veth that are dropped (0..100, steps of 0.01).</summary>
    public decimal LossUpPercent { get; init; }

    /// <summary>A tbf rate on the server's veth egress such as <c>100mbit</c> (see <see cref="LabRate"/>); null for none.</summary>
    public string? Rate { get; init; }

    /// <summary>The stack's link in the client namespace: the veth end itself, or a TAP bridged with it.</summary>
    public LabStackLink StackLink { get; init; } = LabStackLink.Veth;

    /// <summary>Flat (client and server on one veth) or routed (a LAN, a NAT router and a smaller-MTU link to the server).</summary>
    public LabTopology Topology { get; init; } = LabTopology.Flat;

    /// <summary>Comma-separated file sizes nginx serves, each at <c>/SIZE</c> (see <see cref="LabFileSpec"/>).</summary>
    public string Files { get; init; } = DefaultFiles;
}
