using System.Net.Sockets;
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
    public required Ipv4Address Address { get; init; }
    public required int PrefixLength { get; init; }
    public Ipv4Address? Gateway { get; init; }
    public ChecksumPolicy Checksums { get; init; } = ChecksumPolicy.Auto;
    public TcpConfig Tcp { get; init; } = new();
    /// <summary>Bytes buffered per stream and direction between the application and the poll thread (a power of two).</summary>
    public int StreamBufferSize { get; init; } = 4 << 20;
    public bool BusyPoll { get; init; }
    /// <summary>Where ISNs come from; null for RFC 6528 with a fresh key. A fixed source is for replaying recordings only.</summary>
    public IInitialSequenceNumberSource? SequenceNumbers { get; init; }
    /// <summary>Seed for ephemeral ports and timestamp offsets; null for a random one.</summary>
    public ulong? Seed { get; init; }
}

/// <summary>
/// The user-space stack as an application uses it: a dedicated poll thread owns the device, the interface and the TCP
/// engine; <see cref="ConnectAsync(Ipv4Address, int, CancellationToken)"/> returns a <see cref="TcpStream"/>. Application
/// threads never touch stack state: they hand work to the poll thread and exchange bytes through bounded rings.
/// </summary>
public sealed class NetworkStack : IAsyncDisposable, IDisposable
{
    private readonly NetworkStackOptions _options;
    private readonly List<StreamPump> _pumps = new(); // poll thread only
    private readonly PollThread _thread;

    private NetworkStack(NetworkStackOptions options, PollLoop loop)
    {
        _options = options;
        Loop = loop;
        _thread = new PollThread(loop, busyPoll: options.BusyPoll) { EveryTurn = PumpAll };
        Metrics = new StackMetrics(loop, _thread.Usage);
    }

    public PollLoop Loop { get; }
    public StackMetrics Metrics { get; }
    public Ipv4Address Address => _options.Address;

    public static NetworkStack Start(NetworkStackOptions options)
    {
        var stack = new NetworkStack(options, CreateLoop(options));
        stack._thread.Start();
        return stack;
    }

    /// <summary>
    /// The stack around <see cref="NetworkStackOptions.Device"/> (TCP engine, interface with its gratuitous ARP sent) as a
    /// poll loop the caller drives on its own thread; <see cref="Start"/> runs one on a dedicated poll thread instead.
    /// </summary>
    public static PollLoop CreateLoop(NetworkStackOptions options)
    {
        var device = options.Device;
        var tcpConfig = options.Tcp with { MaxSegmentSize = Math.Min(options.Tcp.MaxSegmentSize, device.Mtu - 40) };
        var tcp = new TcpStack(tcpConfig, options.SequenceNumbers ?? InitialSequenceNumbers.CreateRandom(), options.Seed ?? (ulong)Random.Shared.NextInt64());
        var nic = new NetworkInterface(new InterfaceConfig
        {
            MacAddress = device.MacAddress,
            Address = options.Address,
            PrefixLength = options.PrefixLength,
            Gateway = options.Gateway,
            Mtu = device.Mtu,
            Checksums = options.Checksums,
            LinkIsHostLocal = device.IsHostLocal,
        }, tcp, new DeviceOutput(device));
        nic.Start(MonotonicClock.Now);
        return new PollLoop(device, nic);
    }

    /// <summary>Opens a TCP connection; throws <see cref="SocketException"/> (ConnectionRefused, HostUnreachable, TimedOut) when it cannot.</summary>
    public async Task<TcpStream> ConnectAsync(Ipv4Address address, int port, CancellationToken cancellationToken = default)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port));
        var pump = await _thread.InvokeAsync((loop, now) =>
        {
            var connection = loop.Interface.Tcp.Connect(_options.Address, address, (ushort)port, now);
            var created = new StreamPump(connection, _options.StreamBufferSize, _thread.Usage);
            _pumps.Add(created);
            return created;
        }, cancellationToken).ConfigureAwait(false);
        var stream = new TcpStream(pump, _thread);
        bool established;
        try
        {
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

    /// <summary>Runs <paramref name="work"/> on the poll thread (to read counters consistently, for instance).</summary>
    public Task<T> InvokeAsync<T>(Func<PollLoop, T> work) => _thread.InvokeAsync((loop, _) => work(loop));

    private void PumpAll(PollLoop loop, Instant now)
    {
        for (int i = _pumps.Count - 1; i >= 0; i--)
            if (!_pumps[i].Pump(now)) _pumps.RemoveAt(i);
    }

    public void Dispose()
    {
        _thread.Dispose();
        Metrics.Dispose();
        Loop.Device.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
