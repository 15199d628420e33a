using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>RFC 6528 §3: for one 4-tuple the ISN follows the 4 µs clock; another tuple or another key moves it by an
/// unpredictable offset; a key is SipHash's 16 bytes.</summary>
public sealed class InitialSequenceNumberTests
{
    private static readonly TcpFourTuple Tuple = new(new Ipv4Address(198, 18, 0, 2), 40000, new Ipv4Address(198, 18, 0, 1), 80);

    [Fact]
    public void One_tuple_advances_with_the_four_microsecond_clock()
    {
        var isns = InitialSequenceNumbers.CreateRandom();
        var at = Instant.FromMilliseconds(1_000);
        uint first = isns.Next(Tuple, at).Value;
        Assert.Equal(unchecked(first + 250_000), isns.Next(Tuple, at + TimeSpan.FromSeconds(1)).Value);
        Assert.Equal(first, isns.Next(Tuple, at).Value);
    }

    [Fact]
    public void Another_port_or_key_gives_another_offset()
    {
        var at = Instant.FromMilliseconds(1_000);
        var isns = InitialSequenceNumbers.CreateRandom();
        var neighbour = Tuple with { LocalPort = 40001 };
        Assert.NotEqual(isns.Next(Tuple, at), isns.Next(neighbour, at));
        Assert.NotEqual(isns.Next(Tuple, at), InitialSequenceNumbers.CreateRandom().Next(Tuple, at));
        byte[] key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(new InitialSequenceNumbers(key).Next(Tuple, at), new InitialSequenceNumbers(key).Next(Tuple, at));
        Assert.Throws<ArgumentException>(() => new InitialSequenceNumbers(new byte[32]));
    }
}
