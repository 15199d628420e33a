using UserTcp.Fast.Randomness;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>Where SYN-cookie keys come from: unseeded (a real stack), each stack's are its own and unguessable; seeded,
/// the same seed gives the same cookies (tests and replays), and a cookie validates only under the keys that made it.</summary>
public sealed class SynCookieKeyTests
{
    private static readonly TcpFourTuple Tuple = new(new Ipv4Address(198, 18, 0, 2), 80, new Ipv4Address(198, 18, 0, 1), 40000);
    private static readonly Instant Now = Instant.FromMilliseconds(5_000);

    private static uint Cookie(SynCookies cookies) => cookies.Make(Tuple, peerIsn: 12345, mssIndex: 3, Now, out _);

    [Fact]
    public void Unseeded_keys_differ_between_stacks_and_seeded_ones_repeat()
    {
        var first = new SynCookies(null);
        var second = new SynCookies(null);
        Assert.NotEqual(Cookie(first), Cookie(second));
        Assert.Equal(3, first.Check(Tuple, 12345, Cookie(first), Now));
        Assert.True(second.Check(Tuple, 12345, Cookie(first), Now) < 0, "another stack's cookie validated");

        Assert.Equal(Cookie(new SynCookies(new DeterministicRandom(9))), Cookie(new SynCookies(new DeterministicRandom(9))));
    }
}
