using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal sealed record TcpFields(TcpHeader Header, int HeaderLength, int Length, ushort Checksum, int SequenceLength, SackBlock[] SackBlocks, ChecksumVerdict Verdict);
