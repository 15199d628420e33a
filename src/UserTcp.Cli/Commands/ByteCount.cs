using System.Globalization;

namespace UserTcp.Cli.Commands;

/// <summary>Byte counts as users type them: "500K", "20M", "1G" or plain bytes (K = 1024, as curl's --limit-rate).</summary>
internal static class ByteCount
{
    /// <summary>The count, or null when <paramref name="text"/> is not a positive one.</summary>
    public static long? Parse(string text)
    {
        if (text.Length == 0) return null;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value * unit >= 1 && value * unit < long.MaxValue
            ? (long)(value * unit)
            : null;
    }
}
