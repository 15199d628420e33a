namespace UserTcp.Testbed.Labs;

/// <summary>
/// The lab's shape: <see cref="Flat"/>, the client veth on the server's subnet; <see cref="Routed"/>, the client on a LAN
/// whose router (DHCP, DNS, NAT) reaches the server over a link with a smaller MTU (<see cref="RoutedLab"/>).
/// </summary>
internal enum LabTopology { Flat, Routed }
