using UserTcp.Fast.Runtime;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>
/// <see cref="ChangeSignal"/> with the position it guards, as a stream and its pump use them: one side stores a position
/// and signals, the other arms and re-checks the position.
/// Alone (<see cref="StressCollection"/>): two threads that keep both cores busy would slow the timed tests, and a
/// thread pool starved by other tests delays the waiter's continuation past the bound.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class ChangeSignalTests
{
    private const int Handoffs = 200_000;
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(10);

    private sealed class Direction
    {
        public long Written, Read; // one byte in flight at most: Written - Read is 0 or 1
        public byte Value;
        public readonly ChangeSignal Changed = new(new PollThreadUsage());
        public bool HasByte => Volatile.Read(ref Written) > Volatile.Read(ref Read);
        public static readonly Func<Direction, bool> Ready = static d => d.HasByte;
    }

    [Theory] // store→load handshake: each side stores its own location, then loads the other's; a lost wake-up hangs a wait
    [InlineData(false)] // awaited (the continuation through the thread pool)
    [InlineData(true)]  // blocking (WaitUntil: the signalling thread sets the waiter's event)
    public void A_change_stored_while_the_waiter_arms_always_wakes_it(bool blocking)
    {
        var ping = new Direction();
        var pong = new Direction();
        var failures = new string?[2];
        var threads = new[]
        {
            new Thread(() => failures[0] = PingPong(send: ping, receive: pong, sendsFirst: true, seed: 1, blocking)),
            new Thread(() => failures[1] = PingPong(send: pong, receive: ping, sendsFirst: false, seed: 2, blocking)),
        };
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "a side neither finished nor gave up");
        Assert.True(failures.All(f => f is null), string.Join("; ", failures));
    }

    /// <summary>One side of <see cref="Handoffs"/> one-byte handoffs; a wait longer than <see cref="WaitBound"/> is a lost wake-up.</summary>
    private static string? PingPong(Direction send, Direction receive, bool sendsFirst, int seed, bool blocking)
    {
        var random = new Random(seed);
        for (int i = 0; i < Handoffs; i++)
        {
            if (sendsFirst) Send(send, (byte)i);
            // A random short spin, as a reader that tries the ring first: it lines the other side's store up with this
            // side's arming, the moment the handshake must hold.
            for (int spins = random.Next(256); spins > 0 && !receive.HasByte; spins--) Thread.SpinWait(1);
            bool woke = blocking
                ? receive.Changed.WaitUntil(Direction.Ready, receive, (int)WaitBound.TotalMilliseconds)
                : receive.Changed.WaitUntilAsync(Direction.Ready, receive, CancellationToken.None) is var wait && (wait.IsCompleted || wait.AsTask().Wait(WaitBound));
            if (!woke) return $"handoff {i}: the byte was there but the waiter slept through its signal for {WaitBound.TotalSeconds} s";
            if (!receive.HasByte || receive.Value != (byte)i) return $"handoff {i}: read {receive.Value}";
            Volatile.Write(ref receive.Read, receive.Read + 1);
            if (!sendsFirst) Send(send, (byte)i);
        }
        return null;
    }

    [Fact]
    public void A_blocking_wait_times_out_then_the_next_one_wakes_on_a_change_and_a_release_wakes_one_too()
    {
        var direction = new Direction();
        Assert.False(direction.Changed.WaitUntil(Direction.Ready, direction, 50), "nothing changed, yet the wait ended true");

        var sender = new Thread(() =>
        {
            Thread.Sleep(50);
            Send(direction, 7);
        });
        sender.Start();
        Assert.True(direction.Changed.WaitUntil(Direction.Ready, direction, (int)WaitBound.TotalMilliseconds), "the change did not wake the waiter");
        Assert.Equal(7, direction.Value);
        sender.Join();

        Volatile.Write(ref direction.Read, direction.Read + 1);
        var releaser = new Thread(() =>
        {
            Thread.Sleep(50);
            direction.Changed.Release(); // as Dispose does: the waiter wakes and finds the stream gone
        });
        releaser.Start();
        Assert.True(direction.Changed.WaitUntil(static _ => false, direction, (int)WaitBound.TotalMilliseconds), "the release did not wake the waiter");
        releaser.Join();
    }

    private static void Send(Direction direction, byte value)
    {
        direction.Value = value;
        Volatile.Write(ref direction.Written, direction.Written + 1);
        direction.Changed.SetIf(Direction.Ready, direction);
    }
}
