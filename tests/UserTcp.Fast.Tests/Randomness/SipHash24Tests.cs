using UserTcp.Fast.Randomness;

namespace UserTcp.Fast.Tests.Randomness;

/// <summary>SipHash-2-4 against the reference implementation's vectors (github.com/veorq/SipHash, vectors.h: key 00..0f,
/// message the first n bytes of 00, 01, 02, ...; the 64-bit output little-endian). The lengths cover an empty message, a
/// tail alone, one and two whole words with and without a tail, and the longest vector.</summary>
public sealed class SipHash24Tests
{
    private static readonly byte[] Key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(0, "310e0edd47db6f72")]
    [InlineData(1, "fd67dc93c539f874")]
    [InlineData(7, "37d1018bf50002ab")]
    [InlineData(8, "6224939a79f5f593")]
    [InlineData(15, "e545be4961ca29a1")]
    [InlineData(16, "db9bc2577fcc2a3f")]
    [InlineData(63, "724506eb4c328a95")]
    public void Matches_the_reference_vectors(int length, string littleEndianHex)
    {
        byte[] message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        ulong expected = BitConverter.ToUInt64(Convert.FromHexString(littleEndianHex));
        Assert.Equal(expected, new SipHash24(Key).Hash(message));
    }

    [Fact]
    public void A_key_is_sixteen_bytes() =>
        Assert.Throws<ArgumentException>(() => new SipHash24(new byte[15]));
}
