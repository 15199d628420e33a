using UserTcp.LiveBench.Orchestration;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// Who receives the bursts (<see cref="AckLatencyOrchestrator.Name"/> is how the report and the CSV name them); the
/// busy-polling stack (cumulative ACKs, never sleeping in poll(2)) shows what the wake-up costs.
/// </summary>
internal enum AckReceiver { Kernel, StackCumulative, StackNaive, StackCumulativeBusyPoll }
