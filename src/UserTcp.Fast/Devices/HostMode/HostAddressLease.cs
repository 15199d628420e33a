using System.Globalization;
using System.Text;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.HostMode;

/// <summary>
/// Host-address mode's changes to the host, held while the stack shares the kernel's own IPv4 address of an interface
/// (<see cref="Api.NetworkStackOptions.SharesHostAddress"/>): a block of ports reserved from the kernel's ephemeral range
/// (net.ipv4.ip_local_reserved_ports, so the kernel's own connections never pick them) and an nftables table
/// <c>usertcp_host_PID</c> whose netdev ingress chain drops TCP and UDP for those ports (and the stack's listening ports)
/// before the kernel's IP layer sees them, so the kernel never resets the stack's connections nor answers its DNS replies
/// with ICMP port unreachable. Packet sockets (pcap) still see the frames: the ingress hook runs after the taps.
/// <see cref="Dispose"/> undoes both (the sysctl gets exactly its previous value back when nobody else changed it meanwhile:
/// only this lease's ports are removed). A run that died without disposing leaves its table, whose comment records the
/// reservation; the next <see cref="Acquire"/> (or <see cref="RemoveStale"/>) finds it by its dead pid and removes both.
/// Needs root (CAP_NET_ADMIN) and the <c>nft</c> command; acts on the calling thread's network namespace.
/// </summary>
public sealed class HostAddressLease : IDisposable
{
    /// <summary>Ports reserved when none are asked for: enough for a client's and a resolver's traffic.</summary>
    public const int DefaultPortCount = 1024;

    private const string ReservedPortsSysctl = "/proc/sys/net/ipv4/ip_local_reserved_ports";
    private const string PortRangeSysctl = "/proc/sys/net/ipv4/ip_local_port_range";
    private const string LockDirectory = "/run/usertcp";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private readonly HostModeRecord _record;
    private int _disposed;

    private HostAddressLease(string interfaceName, Ipv4Address address, int prefixLength, HostModeRecord record, IReadOnlyList<string> staleRemoved)
    {
        InterfaceName = interfaceName;
        Address = address;
        PrefixLength = prefixLength;
        _record = record;
        StaleRemoved = staleRemoved;
    }

    public string InterfaceName { get; }
    /// <summary>The kernel's address of the interface, which the stack shares.</summary>
    public Ipv4Address Address { get; }
    public int PrefixLength { get; }
    /// <summary>The ports reserved for the stack: give them to <see cref="Api.NetworkStackOptions.LocalPorts"/>.</summary>
    public PortRange Ports => _record.Ports;
    /// <summary>The nftables table (family netdev) that keeps the kernel from the stack's ports.</summary>
    public string TableName => _record.TableName;
    /// <summary>What <see cref="Acquire"/> removed of runs that died (as <see cref="RemoveStale"/> reports it).</summary>
    public IReadOnlyList<string> StaleRemoved { get; }

    /// <summary>
    /// Removes stale runs' tables, reads the kernel's address of <paramref name="interfaceName"/>, reserves a free block of
    /// <paramref name="portCount"/> ports from the kernel's ephemeral range and installs the table. Runs at once in the same
    /// namespace each get their own block; when no block is free it refuses.
    /// </summary>
    /// <param name="listenPorts">Ports the stack will listen on: dropped for the kernel too; refused when a kernel socket uses one.</param>
    /// <exception cref="InvalidOperationException">No free block, a listening port in use, or nft/sysctl failed.</exception>
    /// <exception cref="DeviceUnavailableException">No such interface, or it has no IPv4 address.</exception>
    public static HostAddressLease Acquire(string interfaceName, int portCount = DefaultPortCount, IReadOnlyCollection<ushort>? listenPorts = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(portCount, 1);
        listenPorts ??= [];
        var (address, prefix) = LinuxInterface.ReadIpv4Address(interfaceName);
        using var exclusive = TakeLock();
        var staleRemoved = RemoveStaleLocked();
        string previous = File.ReadAllText(ReservedPortsSysctl).Trim();
        if (!ReservedPortSet.TryParse(previous, out var reserved)) throw new InvalidOperationException($"cannot read {ReservedPortsSysctl}: '{previous}'");
        var inUse = KernelPortsInUse();
        foreach (var port in listenPorts)
            if (inUse.Contains(port)) throw new InvalidOperationException($"port {port} is in use by a kernel socket: the stack cannot listen on it with the host's address");
        var ports = ChooseFreeBlock(ReadEphemeralRange(), portCount, reserved, inUse)
                    ?? throw new InvalidOperationException($"no block of {portCount} ports free of reservations and kernel sockets in the ephemeral range ({File.ReadAllText(PortRangeSysctl).Trim()}); reserved: '{previous}'");
        var record = new HostModeRecord(Environment.ProcessId, StartTicksOf(Environment.ProcessId) ?? 0, ports, previous);
        // The table first: it carries the record, so a run killed before the sysctl write is still cleaned up whole.
        NftTables.Apply(TableScript(record, interfaceName, address, listenPorts));
        try
        {
            reserved.Add(ports);
            WriteReserved(reserved);
        }
        catch
        {
            NftTables.TryDelete(record.TableName);
            throw;
        }
        return new HostAddressLease(interfaceName, address, prefix, record, staleRemoved);
    }

    /// <summary>
    /// Removes the tables (and port reservations) of host-mode runs in this network namespace whose process is gone;
    /// returns what it removed, one line each.
    /// </summary>
    public static IReadOnlyList<string> RemoveStale()
    {
        using var exclusive = TakeLock();
        return RemoveStaleLocked();
    }

    /// <summary>Removes the table and this lease's ports from the sysctl; safe to call more than once and from a signal handler.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using var exclusive = TakeLock();
        Undo(_record);
    }

    /// <summary>The first block of <paramref name="count"/> ports from the top of <paramref name="ephemeral"/> down, in
    /// steps of its size, that holds no reserved port and no port a kernel socket uses; null when none does.</summary>
    internal static PortRange? ChooseFreeBlock(PortRange ephemeral, int count, ReservedPortSet reserved, IReadOnlySet<ushort> inUse)
    {
        for (int first = ephemeral.Last - count + 1; first >= ephemeral.First; first -= count)
        {
            var block = new PortRange(first, first + count - 1);
            if (!reserved.Overlaps(block) && !inUse.Any(block.Contains)) return block;
        }
        return null;
    }

    internal static string TableScript(HostModeRecord record, string interfaceName, Ipv4Address address, IReadOnlyCollection<ushort> listenPorts)
    {
        string tcpPorts = listenPorts.Count == 0
            ? record.Ports.ToString()
            : "{ " + string.Join(", ", listenPorts.Select(p => p.ToString(CultureInfo.InvariantCulture)).Prepend(record.Ports.ToString())) + " }";
        return new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"table netdev {record.TableName} {{\n")
            .Append(CultureInfo.InvariantCulture, $"  comment \"{record.ToComment()}\"\n")
            .Append(CultureInfo.InvariantCulture, $"  chain ingress {{\n    type filter hook ingress device \"{interfaceName}\" priority filter; policy accept;\n")
            .Append(CultureInfo.InvariantCulture, $"    ip daddr {address} tcp dport {tcpPorts} drop\n")
            .Append(CultureInfo.InvariantCulture, $"    ip daddr {address} udp dport {record.Ports} drop\n")
            .Append("  }\n}\n")
            .ToString();
    }

    private static IReadOnlyList<string> RemoveStaleLocked()
    {
        var removed = new List<string>();
        foreach (var table in NftTables.NetdevTables(HostModeRecord.TablePrefix))
        {
            if (!int.TryParse(table.AsSpan(HostModeRecord.TablePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            string? comment = NftTables.Comment(table);
            if (comment is null || !HostModeRecord.TryParseComment(comment, out var record) || record.ProcessId != pid)
            {
                // Not ours to judge without a record: a table of this name that we did not write.
                continue;
            }
            if (IsAlive(record)) continue;
            Undo(record);
            removed.Add($"removed stale table {table} of dead pid {pid} and its reserved ports {record.Ports}");
        }
        return removed;
    }

    private static void Undo(HostModeRecord record)
    {
        if (ReservedPortSet.TryParse(File.ReadAllText(ReservedPortsSysctl), out var reserved) && reserved.Overlaps(record.Ports))
        {
            reserved.Remove(record.Ports);
            WriteReserved(reserved);
        }
        NftTables.TryDelete(record.TableName);
    }

    private static bool IsAlive(HostModeRecord record) => StartTicksOf(record.ProcessId) is { } ticks && ticks == record.StartTicks;

    /// <summary>Field 22 of /proc/PID/stat (start time since boot, in clock ticks); null when there is no such process.</summary>
    private static long? StartTicksOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: count from after its closing one (field 3).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) ? ticks : null;
    }

    private static PortRange ReadEphemeralRange()
    {
        var parts = File.ReadAllText(PortRangeSysctl).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return new PortRange(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static void WriteReserved(ReservedPortSet reserved) => File.WriteAllText(ReservedPortsSysctl, reserved + "\n");

    /// <summary>Local ports of every TCP and UDP socket of this network namespace (/proc/thread-self/net: the calling
    /// thread's namespace, which may differ from the process's after setns(2)).</summary>
    private static HashSet<ushort> KernelPortsInUse()
    {
        var ports = new HashSet<ushort>();
        foreach (var table in (string[])["tcp", "tcp6", "udp", "udp6"])
        {
            string path = "/proc/thread-self/net/" + table;
            if (!File.Exists(path)) continue;
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var columns = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length < 2) continue;
                int colon = columns[1].LastIndexOf(':');
                if (colon >= 0 && ushort.TryParse(columns[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort port)) ports.Add(port);
            }
        }
        return ports;
    }

    /// <summary>Serializes host-mode runs of this machine around the sysctl's read-modify-write and the table scan.</summary>
    private static FileStream TakeLock()
    {
        try
        {
            Directory.CreateDirectory(LockDirectory);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidOperationException($"host-address mode needs root (CAP_NET_ADMIN): it reserves ports and installs an nftables table ({e.Message})", e);
        }
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix; the kernel releases it when a holder dies.
                return new FileStream(Path.Combine(LockDirectory, "host-mode.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}
