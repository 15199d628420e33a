using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Api;

/// <summary>What a <see cref="NetworkStack"/> runs on and as.</summary>
public sealed record NetworkStackOptions
{
    /// <summary>The link; the stack owns it from now on and disposes it.</summary>
    public required INetworkDevice Device { get; init; }
    /// <summary>The address the stack claims (it answers ARP for it); leave it unset with <see cref="Dhcp"/>.</summary>
    public Ipv4Address Address { get; init; }
    public int PrefixLength { get; init; }
    public Ipv4Address? Gateway { get; init; }
    /// <summary>
    /// Take the address, prefix, gateway, MTU and (unless <see cref="DnsServers"/> is set) DNS servers from a DHCP server
    /// (RFC 2131) instead of <see cref="Address"/>, <see cref="PrefixLength"/> and <see cref="Gateway"/>, which stay unset.
    /// <see cref="NetworkStack.Start"/> returns at once (so an application prepares while the lease is negotiated);
    /// <see cref="NetworkStack.ConnectAsync(string, int, CancellationToken)"/>, <see cref="NetworkStack.Listen"/> and
    /// <see cref="NetworkStack.ResolveAsync"/> wait for the lease, or throw a <see cref="System.Net.Sockets.SocketException"/>
    /// when none came after RFC 2131 §4.1's retransmissions (about two minutes). The lease is renewed while the stack runs
    /// and released when it is disposed.
    /// </summary>
    public bool Dhcp { get; init; }
    public ChecksumPolicy Checksums { get; init; } = ChecksumPolicy.Auto;
    public TcpConfig Tcp { get; init; } = new();
    /// <summary>
    /// The stack's local ports: TCP active opens and DNS queries take theirs from here. Null: Linux's default ephemeral
    /// range for TCP, 49152-65535 for DNS. Required with <see cref="SharesHostAddress"/> (see <see cref="Devices.HostMode.HostAddressLease"/>).
    /// </summary>
    public PortRange? LocalPorts { get; init; }
    /// <summary>
    /// <see cref="Address"/> is the host kernel's own address of the interface (host-address mode): the kernel keeps
    /// answering ARP and ping for it, and TCP for ports outside <see cref="LocalPorts"/> and the stack's listeners is the
    /// kernel's and is ignored, never reset. The kernel must be kept from seeing the stack's ports (a firewall rule such as
    /// <see cref="Devices.HostMode.HostAddressLease"/> installs), or it resets the stack's connections.
    /// </summary>
    public bool SharesHostAddress { get; init; }
    /// <summary>What the poll thread does when idle: sleep in poll(2), spin for a learned budget after traffic, or spin always.</summary>
    public PollMode PollMode { get; init; } = PollMode.Sleep;
    /// <summary>The longest the <see cref="PollMode.Adaptive"/> loop keeps polling after a frame before it sleeps (the
    /// budget it learns from the gaps between frames stays below this).</summary>
    public TimeSpan AdaptivePollBudget { get; init; } = TimeSpan.FromMicroseconds(100);
    /// <summary>The same as <see cref="PollMode"/> = <see cref="PollMode.Busy"/> (kept from before the modes existed); true wins.</summary>
    public bool BusyPoll { get; init; }
    /// <summary>The mode the loop runs: <see cref="PollMode"/>, or busy when <see cref="BusyPoll"/> is set.</summary>
    internal PollMode EffectivePollMode => BusyPoll ? PollMode.Busy : PollMode;
    /// <summary>Where ISNs come from; null for RFC 6528 with a fresh key. A fixed source is for replaying recordings only,
    /// so this is not for library users.</summary>
    internal IInitialSequenceNumberSource? SequenceNumbers { get; init; }
    /// <summary>Seed for ephemeral ports and timestamp offsets, for DNS query IDs and source ports, and for the SYN-cookie
    /// keys; null for a random one (DNS and the cookie keys then draw from the operating system's cryptographic generator).
    /// A seeded stack is reproducible, and its cookies are as guessable as its seed: for tests and replays.</summary>
    public ulong? Seed { get; init; }
    /// <summary>
    /// DNS servers for host names (<see cref="NetworkStack.ResolveAsync"/>, <see cref="NetworkStack.ConnectAsync(string, int, CancellationToken)"/>),
    /// asked in order with the default timeout and attempts. Null: the IPv4 <c>nameserver</c>s and the <c>timeout</c> and
    /// <c>attempts</c> options of /etc/resolv.conf, read at start. Empty: names are not resolved (IPv4 literals still work).
    /// </summary>
    public IReadOnlyList<Ipv4Address>? DnsServers { get; init; }
    /// <summary>
    /// The real clock, for a stack on a live device: read when output leaves, so that the ACK delays the TCP layer records
    /// end when the ACKs are written (<see cref="NetworkInterface.Clock"/>). Null (the default) for a stack on virtual time;
    /// <see cref="NetworkStack.Start"/>, whose poll thread runs on the monotonic clock, uses that clock when none is given.
    /// Internal: only a loop driven by its caller (<see cref="NetworkStack.CreateLoop"/>) has a choice to make.
    /// </summary>
    internal Func<Instant>? Clock { get; init; }
    /// <summary>How long <see cref="NetworkStack.DisposeAsync"/> waits for the peers to acknowledge what the closing
    /// connections still had to send (<see cref="NetworkStack.ShutdownAsync"/>); what is left then is reset.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
