using System.Buffers.Binary;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// SYN cookies (RFC 4987 §3.6), laid out as Linux's (net/ipv4/syncookies.c): the ISN of a stateless SYN-ACK is
/// <c>H0(4-tuple) + peer ISN + (counter &lt;&lt; 24) + ((H1(4-tuple, peer ISN, counter) + MSS index) mod 2^24)</c>, with a
/// 60 s counter (Linux tcp_cookie_time) and an index into a small MSS table (Linux msstab). The returning ACK's
/// ACK - 1 is accepted for the two newest counters (MAX_SYNCOOKIE_AGE). H0 and H1 are SipHash-2-4, truncated, as
/// Linux's cookie_hash: H0 with a key fixed at construction, H1 with a key of its own per counter (derived from a second
/// key), so the secret that signs cookies rotates every 60 s and two are live at a time. With timestamps the options that do not fit in the
/// ISN travel in the low 6 bits of our TSval (Linux cookie_init_timestamp): the peer's window scale (15 = none),
/// SACK-permitted, ECN (never set here: no ECN). Sans-IO: keys given at construction, time from <c>now</c>.
/// </summary>
internal sealed class SynCookies
{
    /// <summary>Linux msstab: the MSS a cookie can carry, rounded down to one of these.</summary>
    private static readonly ushort[] MssTable = [536, 1300, 1440, 1460];
    private const int CounterShift = 24;                 // Linux COOKIEBITS
    private const uint CookieMask = (1u << CounterShift) - 1;
    private const int MaxAge = 2;                        // Linux MAX_SYNCOOKIE_AGE: counters now and now - 1
    private const long CounterNanoseconds = 60_000_000_000; // Linux tcp_cookie_time: one count per 60 s
    private const int TimestampBits = 6;                 // Linux TSBITS
    private const uint TimestampOptionsMask = (1u << TimestampBits) - 1;
    private const uint NoWindowScale = 0xF;              // Linux TS_OPT_WSCALE_MASK
    private const uint SackBit = 1 << 4;                 // Linux TS_OPT_SACK

    private readonly SipHash24 _tupleHash;
    private readonly SipHash24 _counterKeySource;
    // The two live per-counter keys, at index counter & 1, and the counter each belongs to.
    private readonly SipHash24[] _counterHashes = new SipHash24[2];
    private readonly long[] _keyCounter = [-1, -1];

    /// <param name="seeded">Null: keys from the operating system's cryptographic generator, as a real stack's must be (a
    /// peer that could guess them could forge cookies). A seeded generator makes them reproducible, for tests and replays.</param>
    public SynCookies(DeterministicRandom? seeded)
    {
        Span<byte> keys = stackalloc byte[2 * SipHash24.KeyLength];
        if (seeded is null) SystemRandom.Fill(keys);
        else seeded.NextBytes(keys);
        _tupleHash = new SipHash24(keys[..SipHash24.KeyLength]);
        _counterKeySource = new SipHash24(keys[SipHash24.KeyLength..]);
    }

    /// <summary>The counter at <paramref name="now"/> (Linux tcp_cookie_time).</summary>
    public static long Counter(Instant now) => now.Nanoseconds / CounterNanoseconds;

    /// <summary>How long after a cookie was sent its ACK may still validate: as long as the counter it carries is live.</summary>
    public static TimeSpan Lifetime => TimeSpan.FromTicks(MaxAge * CounterNanoseconds / 100);

    /// <summary>The MSS a cookie keeps for a peer that offered <paramref name="peerMss"/>: the largest table entry not above it.</summary>
    public static int MssIndex(int peerMss)
    {
        int index = MssTable.Length - 1;
        while (index > 0 && peerMss < MssTable[index]) index--;
        return index;
    }

    public static int MssAt(int index) => MssTable[index];

    /// <summary>Linux cookie_v4_init_sequence / secure_tcp_syn_cookie; also the connection's <paramref name="timestampOffset"/>
    /// (<see cref="TimestampOffset"/>), from the same hash.</summary>
    public uint Make(TcpFourTuple tuple, uint peerIsn, int mssIndex, Instant now, out uint timestampOffset)
    {
        long counter = Counter(now);
        (uint h0, timestampOffset) = TupleHash(tuple);
        uint h1 = CounterHash(tuple, peerIsn, counter);
        return unchecked(h0 + peerIsn + ((uint)counter << CounterShift) + ((h1 + (uint)mssIndex) & CookieMask));
    }

    /// <summary>Linux __cookie_v4_check / check_tcp_syn_cookie: the MSS index the cookie carries, or -1 when it is forged,
    /// mangled or older than two counters.</summary>
    public int Check(TcpFourTuple tuple, uint peerIsn, uint cookie, Instant now)
    {
        long counterNow = Counter(now);
        var (h0, _) = TupleHash(tuple);
        uint value = unchecked(cookie - h0 - peerIsn);
        uint age = unchecked((uint)counterNow - (value >> CounterShift)) & (uint.MaxValue >> CounterShift);
        if (age >= MaxAge) return -1;
        long counter = counterNow - age;
        if (counter < 0) return -1;
        uint index = unchecked(value - CounterHash(tuple, peerIsn, counter)) & CookieMask;
        return index < MssTable.Length ? (int)index : -1;
    }

    /// <summary>The timestamp offset of a connection opened by a cookie: keyed by the 4-tuple, so the ACK's connection
    /// continues the clock the SYN-ACK's TSval was read from (Linux secure_tcp_ts_off).</summary>
    public uint TimestampOffset(TcpFourTuple tuple) => TupleHash(tuple).TimestampOffset;

    /// <summary>Linux cookie_init_timestamp: <paramref name="tsval"/> rounded down so its low 6 bits carry the options.</summary>
    public static uint EncodeTimestamp(uint tsval, byte? peerWindowScale, bool sackPermitted)
    {
        uint options = peerWindowScale is { } scale ? Math.Min(scale, (byte)14) : NoWindowScale;
        if (sackPermitted) options |= SackBit;
        uint encoded = (tsval & ~TimestampOptionsMask) | options;
        return unchecked((int)(encoded - tsval)) > 0 ? unchecked(encoded - (1u << TimestampBits)) : encoded;
    }

    /// <summary>Linux cookie_timestamp_decode: the options our echoed TSval carries.</summary>
    public static (byte? PeerWindowScale, bool SackPermitted) DecodeTimestamp(uint echoedTsval)
    {
        uint options = echoedTsval & TimestampOptionsMask;
        uint scale = options & NoWindowScale;
        return (scale == NoWindowScale ? null : (byte)scale, (options & SackBit) != 0);
    }

    private (uint Cookie, uint TimestampOffset) TupleHash(TcpFourTuple tuple)
    {
        Span<byte> input = stackalloc byte[TcpFourTuple.Length];
        tuple.Write(input);
        ulong hash = _tupleHash.Hash(input);
        return ((uint)hash, (uint)(hash >> 32));
    }

    private uint CounterHash(TcpFourTuple tuple, uint peerIsn, long counter)
    {
        Span<byte> input = stackalloc byte[TcpFourTuple.Length + 4];
        tuple.Write(input);
        BinaryPrimitives.WriteUInt32BigEndian(input[TcpFourTuple.Length..], peerIsn);
        return (uint)HashFor(counter).Hash(input);
    }

    /// <summary>The hash keyed for <paramref name="counter"/>, made when first needed: the older of the two is replaced.
    /// Its key is the source key's hashes of (counter, 0) and (counter, 1).</summary>
    private SipHash24 HashFor(long counter)
    {
        int slot = (int)(counter & 1);
        if (_keyCounter[slot] != counter)
        {
            Span<byte> input = stackalloc byte[9];
            BinaryPrimitives.WriteInt64BigEndian(input, counter);
            Span<byte> key = stackalloc byte[SipHash24.KeyLength];
            for (byte half = 0; half < 2; half++)
            {
                input[8] = half;
                BinaryPrimitives.WriteUInt64LittleEndian(key[(8 * half)..], _counterKeySource.Hash(input));
            }
            _counterHashes[slot] = new SipHash24(key);
            _keyCounter[slot] = counter;
        }
        return _counterHashes[slot];
    }
}
