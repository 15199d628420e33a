using System.Globalization;

namespace UserTcp.LiveBench;

/// <summary><c>--name value</c> pairs and bare <c>--flag</c>s: the harness's own command line and that of its stack processes.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string?> _values = new();

    public BenchArguments(IEnumerable<string> arguments)
    {
        string? pending = null;
        foreach (string argument in arguments)
        {
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null) _values[pending] = null;
                pending = argument;
            }
            else if (pending is not null)
            {
                _values[pending] = argument;
                pending = null;
            }
            else
            {
                throw new BenchException($"unexpected argument '{argument}'");
            }
        }
        if (pending is not null) _values[pending] = null;
    }

    public bool Flag(string name) => _values.TryGetValue(name, out string? value) && value is null;

    public string? Optional(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) => Optional(name) ?? throw new BenchException($"{name} is required");

    public long RequiredLong(string name) =>
        long.TryParse(Required(name), NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new BenchException($"{name} takes a whole number, not '{Required(name)}'");

    public int? OptionalInt(string name) =>
        Optional(name) is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
        : throw new BenchException($"{name} takes a whole number, not '{text}'");
}
