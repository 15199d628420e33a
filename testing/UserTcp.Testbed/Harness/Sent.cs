using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;

namespace UserTcp.Testbed.Harness;

/// <summary>
/// A segment the engine sent: its bytes as written and the addresses its checksum covers, with its fields read back
/// through the wire layer after <see cref="Checker.Tcp"/> verified the checksum. <see cref="Check"/> asserts more fields
/// at once with the frame checkers.
/// </summary>
internal sealed class Sent
{
    private readonly byte[] _segment;
    private readonly Ipv4Address _source, _destination;

    public Sent(ReadOnlySpan<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        Checker.Tcp(segment, source, destination);
        TcpSegment.TryParse(segment, out var parsed);
        (_segment, _source, _destination) = (segment.ToArray(), source, destination);
        (Flags, Seq, Ack, Window, Options, Payload) =
            (parsed.Flags, parsed.SequenceNumber, parsed.AcknowledgmentNumber, parsed.Window, parsed.Options, parsed.Payload.ToArray());
    }

    public TcpFlags Flags { get; }
    public uint Seq { get; }
    public uint Ack { get; }
    public ushort Window { get; }
    public TcpOptions Options { get; }
    public byte[] Payload { get; }
    public int SequenceLength => Payload.Length + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    /// <summary>Asserts every one of <paramref name="checks"/> on the segment as sent.</summary>
    public void Check(params ReadOnlySpan<LayerCheck<TcpSegment>> checks) => Checker.Tcp(_segment, _source, _destination, checks);

    public override string ToString() => $"[{Flags}] seq={Seq} ack={Ack} win={Window} len={Payload.Length}";
}
