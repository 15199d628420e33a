using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tests.Time;

/// <summary>The timer wheel against a brute-force model: same expiries, same earliest deadline, under random operations.</summary>
public sealed class TimerWheelTests
{
    private sealed class Owner(int id)
    {
        public readonly int Id = id;
        public override string ToString() => $"#{Id}";
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Matches_a_brute_force_model_under_random_operations(ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var wheel = new TimerWheel<Owner>(TimeSpan.FromMilliseconds(1), 64);
        var owners = Enumerable.Range(0, 40).Select(i => new Owner(i)).ToArray();
        var handles = owners.Select(o => new TimerWheel<Owner>.Handle(o)).ToArray();
        var model = new Instant?[owners.Length];
        var now = Instant.FromMilliseconds(1000 + random.Next(0, 5000));
        var due = new List<Owner>();
        for (int step = 0; step < 20_000; step++)
        {
            int pick = random.Next(0, owners.Length);
            switch (random.Next(0, 4))
            {
                case 0 or 1: // arm: soon (sub-tick), later within a rotation, or several rotations away
                    long nanos = random.Next(0, 3) switch { 0 => random.Next(0, 2_000_000), 1 => random.Next(0, 60_000_000), _ => random.Next(0, 1_000_000_000) };
                    var deadline = new Instant(now.Nanoseconds + nanos);
                    wheel.Schedule(handles[pick], deadline);
                    model[pick] = deadline;
                    break;
                case 2:
                    wheel.Cancel(handles[pick]);
                    model[pick] = null;
                    break;
                default: // time passes: sometimes to exactly the next deadline, as a simulation does
                    var next = wheel.NextDeadline;
                    now = random.Chance(0.5) && !next.IsNever && next > now ? next : new Instant(now.Nanoseconds + random.Next(0, 20_000_000));
                    due.Clear();
                    wheel.Expire(now, due);
                    var expected = Enumerable.Range(0, owners.Length).Where(i => model[i] is { } d && d <= now).ToHashSet();
                    Assert.Equal(expected, due.Select(o => o.Id).ToHashSet());
                    foreach (int i in expected) model[i] = null;
                    break;
            }
            var earliest = model.Where(d => d is not null).Select(d => d!.Value).DefaultIfEmpty(Instant.Never).Min();
            Assert.Equal(earliest, wheel.NextDeadline);
            Assert.Equal(model.Count(d => d is not null), wheel.Count);
        }
    }

    [Fact] // an entry armed before the wheel has ever expired anything, earlier than others, still fires on time
    public void Earlier_deadline_armed_before_the_first_expiry_fires_on_time()
    {
        var wheel = new TimerWheel<Owner>(TimeSpan.FromMilliseconds(1), 4096);
        var late = new TimerWheel<Owner>.Handle(new Owner(1));
        var early = new TimerWheel<Owner>.Handle(new Owner(2));
        wheel.Schedule(late, Instant.FromMilliseconds(1200));
        wheel.Schedule(early, Instant.FromMilliseconds(1040.5));
        Assert.Equal(Instant.FromMilliseconds(1040.5), wheel.NextDeadline);
        var due = new List<Owner>();
        wheel.Expire(Instant.FromMilliseconds(1040.4), due);
        Assert.Empty(due);
        wheel.Expire(Instant.FromMilliseconds(1040.5), due);
        Assert.Equal(2, Assert.Single(due).Id);
        Assert.Equal(Instant.FromMilliseconds(1200), wheel.NextDeadline);
    }
}
