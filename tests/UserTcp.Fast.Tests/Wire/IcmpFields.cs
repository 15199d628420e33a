using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal sealed record IcmpFields(IcmpType Type, byte Code, ushort Checksum, bool IsEcho, ushort Identifier, ushort SequenceNumber);
