using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of a TCP segment: header fields, payload length and the options the stack uses.</summary>
internal static class TcpCheck
{
    public static LayerCheck<TcpSegment> SourcePort(ushort expected) => LayerCheck<TcpSegment>.Field("TCP source port", expected, s => s.SourcePort);

    public static LayerCheck<TcpSegment> DestinationPort(ushort expected) => LayerCheck<TcpSegment>.Field("TCP destination port", expected, s => s.DestinationPort);

    /// <summary>Exactly these flags: any missing or extra one fails.</summary>
    public static LayerCheck<TcpSegment> Flags(TcpFlags expected) => LayerCheck<TcpSegment>.Field("TCP flags", expected, s => s.Flags);

    public static LayerCheck<TcpSegment> Seq(uint expected) => LayerCheck<TcpSegment>.Field("TCP seq", expected, s => s.SequenceNumber);

    public static LayerCheck<TcpSegment> Ack(uint expected) => LayerCheck<TcpSegment>.Field("TCP ack", expected, s => s.AcknowledgmentNumber);

    /// <summary>The window field as sent (scaled).</summary>
    public static LayerCheck<TcpSegment> Window(ushort expected) => LayerCheck<TcpSegment>.Field("TCP window", expected, s => s.Window);

    public static LayerCheck<TcpSegment> PayloadLength(int expected) => LayerCheck<TcpSegment>.Field("TCP payload length", expected, s => s.Payload.Length);

    /// <summary>The MSS option carries <paramref name="expected"/>; null: there is none.</summary>
    public static LayerCheck<TcpSegment> Mss(ushort? expected) => LayerCheck<TcpSegment>.Field("TCP MSS option", expected, s => s.Options.MaximumSegmentSize);

    /// <summary>The window scale option carries <paramref name="expected"/>; null: there is none.</summary>
    public static LayerCheck<TcpSegment> WindowScale(byte? expected) => LayerCheck<TcpSegment>.Field("TCP window scale option", expected, s => s.Options.WindowScale);

    public static LayerCheck<TcpSegment> SackPermitted(bool expected = true) => LayerCheck<TcpSegment>.Field("TCP SACK-permitted option", expected, s => s.Options.SackPermitted);

    /// <summary>Exactly these SACK blocks in this order (none: no SACK option).</summary>
    public static LayerCheck<TcpSegment> SackBlocks(params SackBlock[] expected) =>
        LayerCheck<TcpSegment>.Field("TCP SACK blocks", Describe(expected), s =>
        {
            var blocks = new SackBlock[s.Options.SackBlockCount];
            for (int i = 0; i < blocks.Length; i++) blocks[i] = s.Options.GetSackBlock(i);
            return Describe(blocks);
        });

    /// <summary>The timestamps option echoes <paramref name="expected"/> (RFC 7323 TSecr); null: there is no timestamps option.</summary>
    public static LayerCheck<TcpSegment> TimestampEcho(uint? expected) =>
        LayerCheck<TcpSegment>.Field("TCP timestamp echo", expected, s => s.Options.Timestamps?.EchoReply);

    private static string Describe(SackBlock[] blocks) => blocks.Length == 0 ? "none" : string.Join(' ', blocks.Select(b => $"{b.Left}-{b.Right}"));
}
