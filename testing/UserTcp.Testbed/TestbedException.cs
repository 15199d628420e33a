namespace UserTcp.Testbed;

/// <summary>
/// A check of the testbed failed (a tool exited non-zero, a namespace could not be made, the engine sent something the
/// harness did not expect). The testbed does not depend on a test framework, so the CLI that uses its lab does not carry
/// one; a test runner reports this exception as the test's failure, with its message.
/// </summary>
internal sealed class TestbedException(string message) : Exception(message);
