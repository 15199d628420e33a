using System.Collections;
using System.Text;
using UserTcp.Fast.Tcp;

namespace UserTcp.Fast.Devices.HostMode;

/// <summary>
/// The value of net.ipv4.ip_local_reserved_ports as a set of ports: read from and written back in the kernel's own form
/// (comma-separated ports and FIRST-LAST ranges, ascending, merged), so that adding a range and removing it again gives back
/// exactly the text that was there before.
/// </summary>
internal sealed class ReservedPortSet
{
    private readonly BitArray _ports = new(ushort.MaxValue + 1);

    /// <summary>Parses the sysctl's text ("" or "\n" when nothing is reserved); false for anything else.</summary>
    public static bool TryParse(string text, out ReservedPortSet set)
    {
        set = new ReservedPortSet();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!PortRange.TryParse(part, out var range)) return false;
            set.Add(range);
        }
        return true;
    }

    public void Add(PortRange range)
    {
        for (int port = range.First; port <= range.Last; port++) _ports[port] = true;
    }

    public void Remove(PortRange range)
    {
        for (int port = range.First; port <= range.Last; port++) _ports[port] = false;
    }

    public bool Contains(ushort port) => _ports[port];

    public bool Overlaps(PortRange range)
    {
        for (int port = range.First; port <= range.Last; port++)
            if (_ports[port]) return true;
        return false;
    }

    /// <summary>The kernel's form (proc_do_large_bitmap): "8080,40000-40999", or "" for none.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int port = 1; port <= ushort.MaxValue; port++)
        {
            if (!_ports[port]) continue;
            int last = port;
            while (last < ushort.MaxValue && _ports[last + 1]) last++;
            if (text.Length > 0) text.Append(',');
            text.Append(new PortRange(port, last).ToString());
            port = last;
        }
        return text.ToString();
    }
}
