using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Results;

/// <summary>One event receiver process: its pass, its report (the stack's counters) and each connection's event with the answers the observer saw.</summary>
internal sealed record EventRun(AckReceiver Receiver, int Pass, EventReceiverResult Result, IReadOnlyList<(ServedEvent Served, IReadOnlyList<EventAnswer> Answers)> Connections);
