using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Harness;

/// <summary>A segment the engine sent, parsed back through the wire layer after its checksum was verified.</summary>
internal sealed record Sent(TcpFlags Flags, uint Seq, uint Ack, ushort Window, TcpOptions Options, byte[] Payload)
{
    public int SequenceLength => Payload.Length + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);
    public override string ToString() => $"[{Flags}] seq={Seq} ack={Ack} win={Window} len={Payload.Length}";
}
