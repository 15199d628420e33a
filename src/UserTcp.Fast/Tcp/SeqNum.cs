namespace UserTcp.Fast.Tcp;

/// <summary>
/// A TCP sequence number: arithmetic modulo 2^32 and comparisons that hold across wraparound as long as the
/// two numbers are within 2^31 of each other (RFC 9293 §3.4).
/// </summary>
internal readonly record struct SeqNum(uint Value)
{
    public static SeqNum operator +(SeqNum s, int n) => new(unchecked(s.Value + (uint)n));
    public static SeqNum operator -(SeqNum s, int n) => new(unchecked(s.Value - (uint)n));
    /// <summary>Signed distance from <paramref name="b"/> to <paramref name="a"/>.</summary>
    public static int operator -(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));
    public static bool operator <(SeqNum a, SeqNum b) => a - b < 0;
    public static bool operator >(SeqNum a, SeqNum b) => a - b > 0;
    public static bool operator <=(SeqNum a, SeqNum b) => a - b <= 0;
    public static bool operator >=(SeqNum a, SeqNum b) => a - b >= 0;

    public static SeqNum Max(SeqNum a, SeqNum b) => a >= b ? a : b;
    public static SeqNum Min(SeqNum a, SeqNum b) => a <= b ? a : b;

    /// <summary>start &lt;= this &lt; end, modulo 2^32.</summary>
    public bool InRange(SeqNum start, SeqNum end) => this - start >= 0 && end - this > 0;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
