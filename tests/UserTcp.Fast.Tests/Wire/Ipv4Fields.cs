using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal sealed record Ipv4Fields(Ipv4Header Header, int HeaderLength, int TotalLength, ushort Checksum, byte[] Options, bool IsFragment);
