using System.Globalization;

namespace UserTcp.Fast.Tcp;

/// <summary>An inclusive range of TCP/UDP ports, written <c>FIRST-LAST</c> (or one port) as Linux's port sysctls write them.</summary>
public readonly record struct PortRange
{
    /// <param name="first">The lowest port, at least 1.</param>
    /// <param name="last">The highest port, at least <paramref name="first"/>.</param>
    public PortRange(int first, int last)
    {
        if (first is < 1 or > ushort.MaxValue || last < first || last > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(first), $"ports {first}-{last}: expected 1 <= first <= last <= 65535");
        First = (ushort)first;
        Last = (ushort)last;
    }

    public ushort First { get; }
    public ushort Last { get; }
    public int Count => Last - First + 1;

    public bool Contains(ushort port) => port >= First && port <= Last;

    /// <summary>Parses <c>FIRST-LAST</c> or a single port.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PortRange range)
    {
        range = default;
        int dash = text.IndexOf('-');
        var firstText = dash < 0 ? text : text[..dash];
        var lastText = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out int first)
            || !int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out int last)
            || first is < 1 or > ushort.MaxValue || last < first || last > ushort.MaxValue)
            return false;
        range = new PortRange(first, last);
        return true;
    }

    public override string ToString() => First == Last
        ? First.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
