namespace UserTcp.LiveBench.Measurement;

/// <summary>tcpdump's own account of a capture: frames written, frames its filter accepted, frames the kernel dropped.</summary>
internal sealed record CaptureCounts(long Captured, long ReceivedByFilter, long DroppedByKernel);
