using System.Globalization;
using System.Text.RegularExpressions;

namespace UserTcp.Testbed.Labs;

/// <summary>A file nginx serves at <c>/Name</c>, <paramref name="Bytes"/> long: <c>64K</c>, <c>1M</c>, <c>1G</c> (binary units) or plain bytes.</summary>
internal sealed partial record LabFileSpec(string Name, long Bytes)
{
    /// <summary>Parses a comma-separated list such as <c>1M,256M,1G</c>; names are normalised (<c>1m</c> → <c>1M</c>) and must be distinct.</summary>
    public static bool TryParseList(string text, out IReadOnlyList<LabFileSpec> files, out string problem)
    {
        var parsed = new List<LabFileSpec>();
        files = parsed;
        foreach (string item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var match = SizeSyntax().Match(item);
            long count = match.Success && long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out long n) ? n : -1;
            string suffix = match.Groups[2].Value.ToUpperInvariant();
            int shift = suffix switch { "K" => 10, "M" => 20, "G" => 30, _ => 0 };
            if (count < 0 || count > long.MaxValue >> shift)
            {
                problem = $"--files: '{item}' is not a size: a whole number with an optional K, M or G suffix (binary units), e.g. 64K,1M,1G";
                return false;
            }
            string name = string.Create(CultureInfo.InvariantCulture, $"{count}{suffix}");
            if (parsed.Any(f => f.Name == name))
            {
                problem = $"--files: '{name}' is listed twice";
                return false;
            }
            parsed.Add(new LabFileSpec(name, count << shift));
        }
        problem = "";
        return true;
    }

    [GeneratedRegex("^([0-9]{1,19})([kKmMgG]?)\\z")]
    private static partial Regex SizeSyntax();
}
