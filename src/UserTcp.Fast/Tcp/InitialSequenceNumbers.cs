using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a 4-microsecond timer and
/// F a keyed hash: SipHash-2-4 of the 4-tuple, truncated, as Linux's secure_tcp_seq (net/core/secure_seq.c).
/// Unpredictable across connections, increasing for one four-tuple.
/// </summary>
internal sealed class InitialSequenceNumbers : IInitialSequenceNumberSource
{
    private readonly SipHash24 _hash;

    public InitialSequenceNumbers(ReadOnlySpan<byte> secretKey) => _hash = new SipHash24(secretKey);

    /// <summary>A generator with a fresh random key (RFC 6528 §3: the key should change at boot).</summary>
    public static InitialSequenceNumbers CreateRandom()
    {
        Span<byte> key = stackalloc byte[SipHash24.KeyLength];
        SystemRandom.Fill(key);
        return new InitialSequenceNumbers(key);
    }

    public SeqNum Next(TcpFourTuple tuple, Instant now)
    {
        Span<byte> bytes = stackalloc byte[TcpFourTuple.Length];
        tuple.Write(bytes);
        uint m = (uint)(now.Nanoseconds / 4_000);
        return new SeqNum(unchecked(m + (uint)_hash.Hash(bytes)));
    }
}
