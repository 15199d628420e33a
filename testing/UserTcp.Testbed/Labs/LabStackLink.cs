namespace UserTcp.Testbed.Labs;

/// <summary>
/// What the stack of a lab runs on in the client namespace: pcap on the veth end towards the server, or a persistent
/// TAP device bridged with that veth end (the way other user-space stacks such as lwIP attach to a host).
/// </summary>
internal enum LabStackLink { Veth, Tap }
