namespace UserTcp.LiveBench.Results;

/// <summary>Who wrote the body: curl, usertcp get, or dd alone (the sink's own cost, no network).</summary>
internal enum ClientSide { Kernel, Stack, Sink }
