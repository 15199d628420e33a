namespace UserTcp.LiveBench.Results;

/// <summary>Who downloads in the TAP comparison: the stack on the TAP, lwIP on the same TAP, the kernel from the bridge.</summary>
internal enum TapClient { Stack, Lwip, Kernel }
