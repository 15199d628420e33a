using System.Globalization;
using System.Text.Json;
using UserTcp.Fast.Wire;

namespace UserTcp.LiveBench;

/// <summary>Who receives the bursts; <see cref="AckLatencyOrchestrator.Name"/> is how the report and the CSV name them.</summary>
/// <summary>Who receives the bursts; the busy-polling stack (cumulative ACKs, never sleeping in poll(2)) shows what the wake-up costs.</summary>
internal enum AckReceiver { Kernel, StackCumulative, StackNaive, StackCumulativeBusyPoll }
