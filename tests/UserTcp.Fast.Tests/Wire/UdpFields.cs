using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal sealed record UdpFields(UdpHeader Header, int Length, ushort Checksum, ChecksumVerdict Verdict);
