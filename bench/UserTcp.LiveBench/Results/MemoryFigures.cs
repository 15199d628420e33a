namespace UserTcp.LiveBench.Results;

/// <summary>One moment of the memory measurement: the managed heap after a full, compacting collection, the process's
/// resident set, and what the stack held then: connections, TIME-WAIT entries, the application's streams, and its
/// buffers' 16 KiB chunks (held by connections, and spare in the pool).</summary>
internal sealed record MemoryFigures(string Phase, long HeapBytes, long RssBytes, int Connections, int TimeWait, int Streams, long ChunksInUse, int SpareChunks);
