using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal static class WireAssert
{
    /// <summary>Byte every emit buffer is pre-filled with, so a byte the emitter forgets to write shows.</summary>
    public const byte Fill = 0xA5;
    private const int Slack = 16;

    /// <summary>
    /// Runs <paramref name="emit"/> on a buffer pre-filled with <see cref="Fill"/> and <see cref="Slack"/> bytes longer
    /// than <paramref name="expected"/>; asserts the buffer starts with exactly <paramref name="expected"/> and that
    /// nothing after it was touched. Returns what the emitter returned.
    /// </summary>
    public static int Emits(ReadOnlySpan<byte> expected, EmitAction emit)
    {
        var buffer = new byte[expected.Length + Slack];
        buffer.AsSpan().Fill(Fill);
        int returned = emit(buffer);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, expected.Length));
        Assert.All(buffer[expected.Length..], b => Assert.Equal(Fill, b));
        return returned;
    }

    /// <summary>A buffer of <paramref name="length"/> bytes pre-filled with <see cref="Fill"/>.</summary>
    public static byte[] Filled(int length)
    {
        var buffer = new byte[length];
        buffer.AsSpan().Fill(Fill);
        return buffer;
    }

    public static void Equal(in TcpOptions expected, in TcpOptions actual) =>
        Assert.True(expected == actual, $"TCP options differ.\nExpected: {Describe(expected)}\nActual:   {Describe(actual)}");

    public static void Equal(in TcpHeader expected, in TcpHeader actual)
    {
        Equal(expected.Options, actual.Options);
        Assert.Equal(expected with { Options = default }, actual with { Options = default });
    }

    public static string Describe(in TcpOptions options)
    {
        var blocks = options.SackBlocks().Select(b => $"{b.Left}-{b.Right}");
        return $"mss={options.MaximumSegmentSize?.ToString() ?? "-"} wscale={options.WindowScale?.ToString() ?? "-"} " +
               $"sackOK={options.SackPermitted} ts={options.Timestamps?.ToString() ?? "-"} sack=[{string.Join(' ', blocks)}] " +
               $"unknown={options.UnknownCount}";
    }
}
