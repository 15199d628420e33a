using System.Buffers.Binary;
using System.Security.Cryptography;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a 4-microsecond timer and
/// F a keyed hash (HMAC-SHA-256, truncated). Unpredictable across connections, increasing for one four-tuple.
/// </summary>
internal sealed class InitialSequenceNumbers : IInitialSequenceNumberSource
{
    private readonly byte[] _key;

    public InitialSequenceNumbers(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length < 16) throw new ArgumentException("the ISN secret must be at least 16 bytes", nameof(secretKey));
        _key = secretKey.ToArray();
    }

    /// <summary>A generator with a fresh random key (RFC 6528 §3: the key should change at boot).</summary>
    public static InitialSequenceNumbers CreateRandom() => new(RandomNumberGenerator.GetBytes(32));

    public SeqNum Next(TcpFourTuple tuple, Instant now)
    {
        Span<byte> bytes = stackalloc byte[TcpFourTuple.Length];
        tuple.Write(bytes);
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_key, bytes, hash);
        uint m = (uint)(now.Nanoseconds / 4_000);
        return new SeqNum(unchecked(m + BinaryPrimitives.ReadUInt32BigEndian(hash)));
    }
}
