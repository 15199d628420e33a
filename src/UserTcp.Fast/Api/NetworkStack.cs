using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Dhcp;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Api;

/// <summary>
/// The user-space stack as an application uses it: a dedicated poll thread owns the device, the interface, the TCP
/// engine and the DNS stub resolver; <see cref="ConnectAsync(string, int, CancellationToken)"/> returns a
/// <see cref="TcpStream"/>. Application threads never touch stack state: they hand work to the poll thread and exchange
/// bytes through the connections' own buffers.
/// </summary>
public sealed class NetworkStack : IAsyncDisposable, IDisposable
{
    private readonly NetworkStackOptions _options;
    private readonly PumpScheduler _pumps; // poll thread, but for requests
    private readonly List<TcpStreamListener> _listeners = new(); // poll thread only
    private readonly HashSet<TaskCompletionSource<DnsLookup>> _lookups = new(); // poll thread only: lookups in flight
    private readonly PollThread _thread;
    private Ipv4Address _address; // written by the poll thread when a lease comes or goes
    private int _disposed;
    private volatile bool _shuttingDown;
    private TaskCompletionSource? _shutdownFinished; // poll thread: set once every connection has finished sending

    /// <summary>How long <see cref="Dispose"/> waits for the poll thread to send the resets.</summary>
    private static readonly TimeSpan ResetWait = TimeSpan.FromSeconds(1);

    private NetworkStack(NetworkStackOptions options, PollLoop loop)
    {
        _options = options;
        _address = options.Address;
        Loop = loop;
        _thread = new PollThread(loop) { EveryTurn = PumpAll, OnStopped = AbandonAll };
        _pumps = new PumpScheduler(_thread.Nudge);
        Metrics = new StackMetrics(loop, _thread.Usage);
    }

    /// <summary>The loop the poll thread runs, and with it all stack state: for the projects that prove and measure the stack,
    /// which touch it on the poll thread (<see cref="InvokeAsync{T}"/>).</summary>
    internal PollLoop Loop { get; }
    /// <summary>The stack's System.Diagnostics.Metrics instruments (meter <see cref="StackMetrics.MeterName"/>); a listener tells
    /// this stack's from another's by <c>instrument.Meter.Scope == stack.Metrics</c>.</summary>
    public StackMetrics Metrics { get; }
    /// <summary>The stack's address: <see cref="NetworkStackOptions.Address"/>, or the DHCP lease's (0.0.0.0 while it has none).</summary>
    public Ipv4Address Address => _address;
    /// <summary>The DHCP lease in use, with <see cref="NetworkStackOptions.Dhcp"/> (the poll thread replaces it at renewal).</summary>
    internal DhcpLease? Lease { get; private set; }
    /// <summary>With <see cref="NetworkStackOptions.Dhcp"/>: completes with the first lease, or fails with a
    /// <see cref="SocketException"/> when none came; null for a configured address.</summary>
    internal Task<DhcpLease>? FirstLease { get; private set; }
    /// <summary>The stream pumps' passes so far (poll thread: <see cref="InvokeAsync{T}"/>).</summary>
    internal long PumpPasses => _pumps.Passes;

    public static NetworkStack Start(NetworkStackOptions options)
    {
        var stack = new NetworkStack(options, CreateLoop(options with { Clock = options.Clock ?? (static () => MonotonicClock.Now) }));
        if (stack.Loop.Dhcp is not { } dhcp)
        {
            stack._thread.Start();
            return stack;
        }
        var bound = new TaskCompletionSource<DhcpLease>(TaskCreationOptions.RunContinuationsAsynchronously);
        dhcp.LeaseChanged += lease =>
        {
            stack.Lease = lease;
            stack._address = lease?.Address ?? Ipv4Address.Any;
            if (lease is not null) bound.TrySetResult(lease);
        };
        dhcp.Failed += reason => bound.TrySetException(new SocketException(
            (int)(dhcp.Stats.OffersReceived == 0 ? SocketError.TimedOut : SocketError.NetworkDown), $"no DHCP lease: {reason}"));
        stack.FirstLease = bound.Task;
        stack._thread.Start();
        return stack;
    }

    /// <summary>Waits for the first DHCP lease (bounded: the client gives up after its retransmissions); at once without DHCP.</summary>
    internal async Task WaitForLeaseAsync(CancellationToken cancellationToken)
    {
        if (FirstLease is { IsCompletedSuccessfully: false } lease) await lease.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The stack around <see cref="NetworkStackOptions.Device"/> (TCP engine, interface with its gratuitous ARP sent, DNS
    /// stub resolver) as a poll loop the caller drives on its own thread; <see cref="Start"/> runs one on a dedicated poll
    /// thread instead.
    /// </summary>
    internal static PollLoop CreateLoop(NetworkStackOptions options)
    {
        var device = options.Device;
        if (options.Dhcp && (options.Address != Ipv4Address.Any || options.Gateway is not null))
            throw new ArgumentException("with Dhcp the lease gives the address and gateway: leave Address and Gateway unset", nameof(options));
        if (!options.Dhcp && options.Address == Ipv4Address.Any)
            throw new ArgumentException("set Address and PrefixLength, or Dhcp = true", nameof(options));
        var tcpConfig = options.Tcp with { MaxSegmentSize = Math.Min(options.Tcp.MaxSegmentSize, device.Mtu - 40) };
        // Unseeded, the SYN-cookie keys come from the cryptographic generator; a seed (tests, replays) makes them reproducible.
        var tcp = new TcpStack(tcpConfig, options.SequenceNumbers ?? InitialSequenceNumbers.CreateRandom(),
                               options.Seed ?? (ulong)Random.Shared.NextInt64(), cookieKeysFromSeed: options.Seed is not null,
                               ephemeralPorts: options.LocalPorts);
        var nic = new NetworkInterface(new InterfaceConfig
        {
            MacAddress = device.MacAddress,
            Address = options.Address,
            PrefixLength = options.PrefixLength,
            Gateway = options.Gateway,
            Mtu = device.Mtu,
            Checksums = options.Checksums,
            LinkIsHostLocal = device.IsHostLocal,
            SharesHostAddress = options.SharesHostAddress,
            LocalPorts = options.LocalPorts,
        }, tcp, new DeviceOutput(device)) { Clock = options.Clock };
        nic.Start(MonotonicClock.Now);
        var dns = options.DnsServers is { } servers
            ? new DnsSettings { Servers = servers, Origin = $"{nameof(NetworkStackOptions)}.{nameof(NetworkStackOptions.DnsServers)}" }
            : ResolvConf.Load();
        // A seeded stack draws DNS IDs and ports from a stream of its own, so they do not mirror its TCP ports.
        var resolver = new StubResolver(nic, dns, options.Seed is { } seed ? new DeterministicRandom(unchecked(seed + 1)) : null);
        DhcpClient? dhcp = null;
        if (options.Dhcp)
        {
            dhcp = new DhcpClient(nic, new DhcpSettings { HostAddresses = KernelAddresses(device.Name) }, new DeterministicRandom(options.Seed is { } s ? unchecked(s + 2) : (ulong)Random.Shared.NextInt64()));
            nic.ArpObserver = dhcp;
            if (options.DnsServers is null) // the lease's servers replace resolv.conf's
                dhcp.LeaseChanged += lease =>
                {
                    if (lease is { DnsServers.Count: > 0 }) resolver.UseSettings(dns with { Servers = lease.DnsServers, Origin = $"the DHCP lease from {lease.Server}" });
                };
            dhcp.Start(); // DISCOVER at the loop's first turn, on the loop's clock
        }
        return new PollLoop(device, nic, resolver: resolver, mode: options.EffectivePollMode, spinCap: options.AdaptivePollBudget, dhcp: dhcp);
    }

    /// <summary>The kernel's address of the interface the device runs on (in the calling thread's namespace), if it has one.</summary>
    private static HashSet<Ipv4Address> KernelAddresses(string interfaceName)
    {
        try
        {
            return [LinuxInterface.ReadIpv4Address(interfaceName).Address];
        }
        catch (DeviceUnavailableException) // no such kernel interface (a simulated link), or no address on it
        {
            return [];
        }
    }

    /// <summary>Opens a TCP connection; throws <see cref="SocketException"/> (ConnectionRefused, HostUnreachable, TimedOut) when it cannot.</summary>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "Two overloads told apart by their first parameter (an address, a host name); only the trailing token is optional, as everywhere in .NET's async APIs.")]
    public Task<TcpStream> ConnectAsync(Ipv4Address address, int port, CancellationToken cancellationToken = default) =>
        ConnectAsync(address, port, noDelay: false, cancellationToken);

    /// <summary><see cref="ConnectAsync(Ipv4Address, int, CancellationToken)"/>, with Nagle's algorithm off for this
    /// connection when <paramref name="noDelay"/> (<see cref="TcpConfig.NoDelay"/>, as TCP_NODELAY on a socket).</summary>
    internal async Task<TcpStream> ConnectAsync(Ipv4Address address, int port, bool noDelay, CancellationToken cancellationToken)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port));
        await WaitForLeaseAsync(cancellationToken).ConfigureAwait(false);
        // Once queued, the command runs and returns its pump even if the token fires meanwhile (InvokeAsync's contract):
        // the wait below then throws at once and the abort removes the connection (RST if synchronized) and its pump.
        var pump = await _thread.InvokeAsync((loop, now) =>
        {
            ThrowIfShuttingDown();
            var tcp = loop.Interface.Tcp;
            if (!loop.Interface.HasAddress) throw NoAddress();
            var connection = tcp.Connect(loop.Interface.Config.Address, address, (ushort)port, now, noDelay ? tcp.Config with { NoDelay = true } : null);
            var created = new StreamPump(connection, _thread.Usage, _pumps);
            _pumps.Add(created);
            return created;
        }, cancellationToken).ConfigureAwait(false);
        var stream = new TcpStream(pump, _thread);
        bool established;
        try
        {
            cancellationToken.ThrowIfCancellationRequested(); // WaitAsync would return a handshake that finished meanwhile
            established = await pump.Established.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            stream.Abort();
            throw;
        }
        if (!established) throw stream.ConnectFailure();
        return stream;
    }

    /// <summary>
    /// Listens on <paramref name="port"/> of the stack's address (RFC 9293 §3.10.1 passive open) and returns the started
    /// listener. At most <paramref name="backlog"/> connections wait for an accept, half-open or established (listen(2)'s
    /// backlog); SYNs beyond are dropped and counted. Throws <see cref="SocketException"/> with AddressAlreadyInUse when
    /// the port already has a listener.
    /// </summary>
    public TcpStreamListener Listen(int port, int backlog = 512)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a port is 1..65535");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        WaitForLeaseAsync(CancellationToken.None).GetAwaiter().GetResult();
        return _thread.InvokeAsync((loop, _) =>
        {
            ThrowIfShuttingDown();
            var tcp = loop.Interface.Tcp;
            if (tcp.HasListener((ushort)port))
                throw new SocketException((int)SocketError.AddressAlreadyInUse, $"port {port} already has a listener");
            if (!loop.Interface.HasAddress) throw NoAddress();
            var listener = new TcpStreamListener(tcp.Listen((ushort)port, backlog), loop.Interface.Config.Address, _thread, Adopt);
            _listeners.Add(listener);
            return listener;
        }).GetAwaiter().GetResult();
    }

    /// <summary>Poll thread: a stream for a connection the stack accepted, pumped from now on like a connected one.</summary>
    private TcpStream Adopt(TcpConnection connection)
    {
        var pump = new StreamPump(connection, _thread.Usage, _pumps);
        _pumps.Add(pump);
        return new TcpStream(pump, _thread);
    }

    /// <summary>
    /// Opens a TCP connection to <paramref name="host"/>: an IPv4 literal, or a name resolved first (<see cref="ResolveAsync"/>)
    /// whose addresses are tried in order until one connects, as <c>Socket.ConnectAsync</c> does with a <c>DnsEndPoint</c>.
    /// Throws the resolution's <see cref="SocketException"/>, or the last address's (ConnectionRefused, HostUnreachable, TimedOut).
    /// </summary>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "Two overloads told apart by their first parameter (an address, a host name); only the trailing token is optional, as everywhere in .NET's async APIs.")]
    public Task<TcpStream> ConnectAsync(string host, int port, CancellationToken cancellationToken = default) =>
        ConnectAsync(host, port, noDelay: false, cancellationToken);

    /// <summary><see cref="ConnectAsync(string, int, CancellationToken)"/>, with Nagle's algorithm off when <paramref name="noDelay"/>.</summary>
    internal async Task<TcpStream> ConnectAsync(string host, int port, bool noDelay, CancellationToken cancellationToken)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port));
        SocketException? last = null;
        foreach (var address in await ResolveAsync(host, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                return await ConnectAsync(address, port, noDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                last = e;
            }
        }
        throw last!; // a resolved name has at least one address
    }

    /// <summary>
    /// The IPv4 addresses of <paramref name="host"/> (its A records, CNAMEs followed) from the DNS servers; an IPv4 literal
    /// is returned as it is, without a query. Failures are <see cref="SocketException"/>s with the codes .NET's own
    /// <c>Dns</c> uses (glibc's getaddrinfo errors as .NET maps them): HostNotFound for a name that does not exist, has no
    /// IPv4 address or is not a valid name; TryAgain when the servers stay silent or answer SERVFAIL or REFUSED;
    /// NoRecovery when no server is configured or the answer was truncated; and, where getaddrinfo would say only
    /// TryAgain, HostUnreachable or NetworkUnreachable when no server could be reached at all. The message names the host
    /// and what each server did. Cancelling ends the lookup and frees its port.
    /// </summary>
    public async Task<IReadOnlyList<Ipv4Address>> ResolveAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (Ipv4Address.TryParse(host, out var literal)) return [literal];
        await WaitForLeaseAsync(cancellationToken).ConfigureAwait(false); // the lease may name the DNS servers
        var resolver = Loop.Resolver ?? throw new InvalidOperationException("this stack's poll loop has no DNS resolver");
        var completion = new TaskCompletionSource<DnsLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
        DnsLookup? lookup = null; // poll thread only
        await _thread.PostAsync((_, now) =>
        {
            _lookups.Add(completion);
            lookup = resolver.Resolve(host, now, done =>
            {
                _lookups.Remove(completion);
                completion.TrySetResult(done);
            });
        }, cancellationToken).ConfigureAwait(false);
        DnsLookup result;
        // The cancellation is queued behind the start, so the poll thread sees the lookup it must end, and before the
        // caller resumes, so whatever the caller queues next finds it ended.
        await using (cancellationToken.Register(() =>
                     {
                         _ = PostCleanupAsync((_, now) =>
                         {
                             _lookups.Remove(completion);
                             resolver.Cancel(lookup!, now);
                         });
                         completion.TrySetCanceled(cancellationToken);
                     }).ConfigureAwait(false))
        {
            result = await completion.Task.ConfigureAwait(false);
        }
        if (result.Status == DnsLookupStatus.Resolved) return result.Addresses;
        string message = result.Status == DnsLookupStatus.NoServers && _options.DnsServers is null
            ? $"{result.Failure}; set NetworkStackOptions.DnsServers"
            : result.Failure!;
        throw new SocketException((int)(result.Status switch
        {
            DnsLookupStatus.NameDoesNotExist or DnsLookupStatus.NoAddresses or DnsLookupStatus.InvalidName => SocketError.HostNotFound,
            DnsLookupStatus.NoAnswer => SocketError.TryAgain,
            DnsLookupStatus.ServersUnreachable => SocketError.HostUnreachable,
            DnsLookupStatus.NoRoute => SocketError.NetworkUnreachable,
            DnsLookupStatus.NoFreePort => SocketError.TooManyOpenSockets,
            _ => SocketError.NoRecovery, // no server configured, truncated answer: asking again will not help
        }), message);
    }

    /// <summary>Queues cleanup from a cancellation callback, which must not wait; a stopped poll thread has nothing left to clean.</summary>
    private async Task PostCleanupAsync(Action<PollLoop, Instant> work)
    {
        try
        {
            await _thread.PostAsync(work).ConfigureAwait(false);
        }
        catch (InvalidOperationException) // the thread stopped or is stopping (ObjectDisposedException, ChannelClosedException)
        {
        }
    }

    private static SocketException NoAddress() =>
        new((int)SocketError.NetworkDown, "the stack has no address: its DHCP lease expired and no new one came yet");

    /// <summary>Runs <paramref name="work"/> on the poll thread (to read counters consistently, for instance).</summary>
    internal Task<T> InvokeAsync<T>(Func<PollLoop, T> work) => _thread.InvokeAsync((loop, _) => work(loop));

    private void PumpAll(PollLoop loop, Instant now)
    {
        for (int i = _listeners.Count - 1; i >= 0; i--)
            if (!_listeners[i].Pump()) _listeners.RemoveAt(i);
        _pumps.RunDue(now);
        if (_shutdownFinished is { } finished && HasFinishedSending(loop.Interface.Tcp)) finished.TrySetResult();
    }

    /// <summary>Whether the peer of every connection has acknowledged all it was sent, the FIN included: past FIN-WAIT-1,
    /// CLOSING and LAST-ACK, nothing this side sent can be lost by stopping.</summary>
    private static bool HasFinishedSending(TcpStack tcp)
    {
        foreach (var connection in tcp.Connections)
            if (!HasFinishedSending(connection)) return false;
        return true;
    }

    private static bool HasFinishedSending(TcpConnection connection) => connection.State is TcpState.FinWait2 or TcpState.TimeWait or TcpState.Closed;

    private void ThrowIfShuttingDown()
    {
        if (_shuttingDown) throw new ObjectDisposedException(nameof(NetworkStack), "the network stack is shutting down");
    }

    /// <summary>Poll thread, as it stops: every listener, stream still open and lookup fails with OperationAborted.</summary>
    private void AbandonAll(PollLoop loop)
    {
        foreach (var listener in _listeners) listener.Close();
        _listeners.Clear();
        _pumps.AbandonAll();
        foreach (var lookup in _lookups)
            lookup.TrySetException(new SocketException((int)SocketError.OperationAborted, "the network stack stopped during the lookup"));
        _lookups.Clear();
    }

    /// <summary>
    /// Stops the stack as a process's exit stops kernel sockets, then waits for what that sends: listeners close (waiting
    /// accepts fail with OperationAborted, connections not yet accepted are reset, as Linux's inet_csk_listen_stop), every
    /// connection is closed as close(2) closes a socket (a FIN after the data written, or a RST when received data was left
    /// unread: tcp_close, RFC 2525 §2.17; a handshake in progress is reset), streams still held see OperationAborted, and new
    /// connections and listeners are refused. The poll thread goes on until every peer has acknowledged all it was sent,
    /// FIN included, or <paramref name="timeout"/> passes (or the token fires); then <see cref="Dispose"/> resets what is left.
    /// </summary>
    public async Task ShutdownAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        try
        {
            if (Volatile.Read(ref _disposed) != 0) return;
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await _thread.InvokeAsync((loop, _) =>
            {
                if (_shuttingDown) return 0;
                _shuttingDown = true;
                foreach (var listener in _listeners) listener.Close();
                _listeners.Clear();
                _pumps.CloseAll();
                _shutdownFinished = finished;
                return 0;
            }, cancellationToken).ConfigureAwait(false);
            await finished.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // what is still sending is reset below
        }
        catch (InvalidOperationException)
        {
            // the poll thread had stopped already (ObjectDisposedException too): nothing is left to wait for
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>
    /// Stops the stack at once: every connection whose peer has not acknowledged all it was sent is reset, as closing a
    /// socket with SO_LINGER's zero timeout resets it, so that its peer learns now that nothing more comes instead of
    /// retransmitting to an address nobody will answer for (one in FIN-WAIT-2 is left alone: its peer has everything, and
    /// a RST could reach it before it read the FIN, turning its end of stream into a reset); a DHCP lease goes back to its
    /// server (RFC 2131 §4.4.6); then the poll thread stops and the device is closed. <see cref="DisposeAsync"/> closes gracefully first.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ResetAll();
        if (Loop.Dhcp is not null) ReleaseLease();
        _thread.Dispose();
        Metrics.Dispose();
        Loop.Device.Dispose();
    }

    /// <summary>RFC 2131 §4.4.6: the lease goes back to the server as the stack stops (briefly awaited: a stopped poll
    /// thread has nothing to release).</summary>
    private void ReleaseLease()
    {
        try
        {
            _thread.InvokeAsync((loop, now) =>
            {
                loop.Dhcp!.Release(now);
                loop.Device.Flush();
                return true;
            }).Wait(TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is InvalidOperationException or AggregateException)
        {
        }
    }

    /// <summary><see cref="ShutdownAsync"/> with <see cref="NetworkStackOptions.ShutdownTimeout"/>.</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(_options.ShutdownTimeout).ConfigureAwait(false);

    /// <summary>Resets every connection on the poll thread; its turn's flush sends the RSTs before the thread stops.</summary>
    private void ResetAll()
    {
        try
        {
            _thread.InvokeAsync((loop, _) =>
            {
                foreach (var connection in loop.Interface.Tcp.Connections.ToList())
                    if (!HasFinishedSending(connection)) connection.Abort();
                return 0;
            }).Wait(ResetWait);
        }
        catch (Exception e) when (e is InvalidOperationException || e.InnerException is InvalidOperationException)
        {
            // the poll thread had stopped: it sends nothing more
        }
    }
}
