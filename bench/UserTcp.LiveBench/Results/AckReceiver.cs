using UserTcp.LiveBench.Orchestration;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// Who receives the bursts (<see cref="AckLatencyOrchestrator.Name"/> is how the report and the CSV name them); the
/// busy-polling stack (cumulative ACKs, never sleeping in poll(2)) shows what the wake-up costs, the adaptive one (spinning
/// for a learned budget after frames, then sleeping) how much of it a bounded spin takes off.
/// </summary>
internal enum AckReceiver { Kernel, StackCumulative, StackNaive, StackCumulativeBusyPoll, StackCumulativeAdaptive }
