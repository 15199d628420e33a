using System.Globalization;
using System.Text.RegularExpressions;

namespace UserTcp.Testbed.Labs;

/// <summary>A link rate in bits per second, written the way tc writes it: SI units (1kbit = 1000 bit/s), bits only.</summary>
internal readonly partial record struct LabRate(long BitsPerSecond)
{
    private const long Minimum = 1_000;
    private const long Maximum = 100_000_000_000;
    private static readonly (string Unit, long Bits)[] Units = [("gbit", 1_000_000_000), ("mbit", 1_000_000), ("kbit", 1_000), ("bit", 1)];

    /// <summary>Parses <c>100mbit</c>, <c>1.5gbit</c>, <c>64kbit</c> or <c>8000bit</c>; byte units (tc's <c>mbps</c>) are refused because they read like bits.</summary>
    public static bool TryParse(string text, out LabRate rate, out string problem)
    {
        rate = default;
        var match = RateSyntax().Match(text.Trim().ToLowerInvariant());
        if (!match.Success)
        {
            problem = $"--rate '{text}' is not a rate: a number and one of bit, kbit, mbit, gbit (e.g. 100mbit, 1.5gbit)";
            return false;
        }
        long unit = Units.Single(u => u.Unit == match.Groups[2].Value).Bits;
        decimal bits = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * unit;
        if (bits != decimal.Truncate(bits) || bits is < Minimum or > Maximum)
        {
            problem = $"--rate '{text}' must be a whole number of bit/s between 1kbit and 100gbit";
            return false;
        }
        rate = new LabRate((long)bits);
        problem = "";
        return true;
    }

    /// <summary>The largest unit that divides the rate exactly: 100mbit, 1500mbit, 64kbit.</summary>
    public override string ToString()
    {
        long bits = BitsPerSecond;
        var (unit, size) = Units.First(u => bits % u.Bits == 0);
        return string.Create(CultureInfo.InvariantCulture, $"{bits / size}{unit}");
    }

    [GeneratedRegex(@"^(\d{1,12}(?:\.\d{1,9})?)(bit|kbit|mbit|gbit)\z")]
    private static partial Regex RateSyntax();
}
