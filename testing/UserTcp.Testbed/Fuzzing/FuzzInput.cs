namespace UserTcp.Testbed.Fuzzing;

/// <summary>One fuzz target's body: runs one input and throws only when it found a bug.</summary>
internal delegate void FuzzInput(ReadOnlySpan<byte> input);
