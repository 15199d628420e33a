using System.Runtime.CompilerServices;

namespace UserTcp.Fast.Wire;

/// <summary>Up to four SACK blocks stored inline (no array, no allocation).</summary>
[InlineArray(TcpOptions.MaxSackBlocks)]
internal struct SackBlockArray
{
    private SackBlock _first;
}
