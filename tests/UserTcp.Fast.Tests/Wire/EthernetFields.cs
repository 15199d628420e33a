using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal sealed record EthernetFields(EthernetHeader Header, int Length, bool HasVlanTag);
