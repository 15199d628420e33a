using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>
/// The TCP options we use, parsed or to emit: MSS (RFC 9293 §3.7.1), window scale and timestamps (RFC 7323),
/// SACK-permitted and SACK blocks (RFC 2018). A value type; unknown options are skipped and counted on parse.
/// </summary>
/// <remarks>Equality is written out because the runtime refuses built-in equality on an inline array (it throws), and
/// only the first <see cref="SackBlockCount"/> blocks are meaningful.</remarks>
public struct TcpOptions : IEquatable<TcpOptions>
{
    public const int MaxSackBlocks = 4;
    public const int MaxLength = 40;

    private const byte KindEnd = 0, KindNop = 1, KindMss = 2, KindWindowScale = 3, KindSackPermitted = 4, KindSack = 5, KindTimestamps = 8;
    /// <summary>NOP, NOP, kind 8, length 10: the aligned timestamps option that leads a 12-byte option block.</summary>
    private const uint AlignedTimestampsPrefix = KindNop << 24 | KindNop << 16 | KindTimestamps << 8 | 10;
    private const int AlignedTimestampsLength = 12;

    private SackBlockArray _sackBlocks;

    public ushort? MaximumSegmentSize { get; set; }
    /// <summary>The shift count as sent; the engine clamps values above 14 (RFC 7323 §2.3).</summary>
    public byte? WindowScale { get; set; }
    public bool SackPermitted { get; set; }
    public TcpTimestamps? Timestamps { get; set; }
    public int SackBlockCount { get; private set; }
    /// <summary>Options of kinds we do not use that a parse skipped.</summary>
    public int UnknownCount { get; private set; }

    public readonly SackBlock GetSackBlock(int index) =>
        (uint)index < (uint)SackBlockCount ? _sackBlocks[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void AddSackBlock(SackBlock block)
    {
        if (SackBlockCount == MaxSackBlocks) throw new InvalidOperationException("At most four SACK blocks fit in a TCP header.");
        _sackBlocks[SackBlockCount++] = block;
    }

    public void ClearSackBlocks() => SackBlockCount = 0;

    public readonly bool Equals(TcpOptions other)
    {
        if (MaximumSegmentSize != other.MaximumSegmentSize || WindowScale != other.WindowScale || SackPermitted != other.SackPermitted
            || Timestamps != other.Timestamps || SackBlockCount != other.SackBlockCount || UnknownCount != other.UnknownCount)
            return false;
        for (int i = 0; i < SackBlockCount; i++)
            if (_sackBlocks[i] != other._sackBlocks[i]) return false;
        return true;
    }

    public override readonly bool Equals(object? obj) => obj is TcpOptions other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(MaximumSegmentSize);
        hash.Add(WindowScale);
        hash.Add(SackPermitted);
        hash.Add(Timestamps);
        hash.Add(UnknownCount);
        for (int i = 0; i < SackBlockCount; i++) hash.Add(_sackBlocks[i]);
        return hash.ToHashCode();
    }

    public static bool operator ==(TcpOptions left, TcpOptions right) => left.Equals(right);
    public static bool operator !=(TcpOptions left, TcpOptions right) => !left.Equals(right);

    /// <summary>
    /// The number of SACK blocks <see cref="Emit"/> writes: as many as fit in 40 bytes beside the other options
    /// (three with timestamps, RFC 2018 §3). The receiver lists the most recent block first, so the oldest are cut.
    /// </summary>
    public readonly int EmittedSackBlockCount
    {
        get
        {
            if (SackBlockCount == 0) return 0;
            int room = MaxLength - FixedLength - 4;
            return Math.Clamp(room / 8, 0, SackBlockCount);
        }
    }

    /// <summary>Bytes <see cref="Emit"/> writes, always a multiple of 4, at most 40.</summary>
    public readonly int Length => FixedLength + (EmittedSackBlockCount is var n and > 0 ? 4 + 8 * n : 0);

    // Layout follows Linux so captures read familiarly: mss; sackOK+TS (or nop,nop,TS / nop,nop,sackOK); nop,wscale; nop,nop,sack.
    private readonly int FixedLength =>
        (MaximumSegmentSize.HasValue ? 4 : 0)
        + (Timestamps.HasValue ? 12 : SackPermitted ? 4 : 0)
        + (WindowScale.HasValue ? 4 : 0);

    /// <summary>Writes the options at the start of <paramref name="destination"/> and returns <see cref="Length"/>.</summary>
    /// <remarks>
    /// Every option group is a 32-bit word, written with one store: the header checksum that follows reads the header
    /// back as words, and a word assembled from narrower stores cannot be forwarded from the store buffer, so that load
    /// waits for the stores to reach the cache.
    /// </remarks>
    public readonly int Emit(Span<byte> destination)
    {
        int i = 0;
        if (MaximumSegmentSize is { } mss)
            i = WriteWord(destination, i, Word(KindMss, 4, (byte)(mss >> 8), (byte)mss));
        if (Timestamps is { } ts)
        {
            i = WriteWord(destination, i, SackPermitted
                ? Word(KindSackPermitted, 2, KindTimestamps, 10)
                : Word(KindNop, KindNop, KindTimestamps, 10));
            i = WriteWord(destination, i, ts.Value);
            i = WriteWord(destination, i, ts.EchoReply);
        }
        else if (SackPermitted)
        {
            i = WriteWord(destination, i, Word(KindNop, KindNop, KindSackPermitted, 2));
        }
        if (WindowScale is { } shift)
            i = WriteWord(destination, i, Word(KindNop, KindWindowScale, 3, shift));
        int blocks = EmittedSackBlockCount;
        if (blocks > 0)
        {
            i = WriteWord(destination, i, Word(KindNop, KindNop, KindSack, (byte)(2 + 8 * blocks)));
            for (int b = 0; b < blocks; b++)
            {
                i = WriteWord(destination, i, _sackBlocks[b].Left);
                i = WriteWord(destination, i, _sackBlocks[b].Right);
            }
        }
        return i;
    }

    private static uint Word(byte first, byte second, byte third, byte fourth) =>
        (uint)first << 24 | (uint)second << 16 | (uint)third << 8 | fourth;

    /// <summary>Writes <paramref name="word"/> big-endian at <paramref name="offset"/> and returns the offset after it.</summary>
    private static int WriteWord(Span<byte> destination, int offset, uint word)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], word);
        return offset + 4;
    }

    /// <summary>
    /// Parses the option bytes of a TCP header (RFC 9293 §3.1, §3.2). Returns <see cref="WireStatus.BadOption"/> for a
    /// missing or short length byte, an option running past the header, or a length wrong for its kind.
    /// </summary>
    public static WireStatus TryParse(ReadOnlySpan<byte> bytes, out TcpOptions options)
    {
        options = default;
        // RFC 7323 Appendix A layout, which Linux puts on every segment once timestamps are on: read it directly.
        if (bytes.Length == AlignedTimestampsLength && BinaryPrimitives.ReadUInt32BigEndian(bytes) == AlignedTimestampsPrefix)
        {
            options.Timestamps = new TcpTimestamps(BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]));
            return WireStatus.Ok;
        }
        int i = 0;
        while (i < bytes.Length)
        {
            byte kind = bytes[i];
            if (kind == KindEnd) break;
            if (kind == KindNop)
            {
                i++;
                continue;
            }
            if (i + 1 >= bytes.Length) return WireStatus.BadOption;
            int length = bytes[i + 1];
            if (length < 2 || i + length > bytes.Length) return WireStatus.BadOption;
            var body = bytes.Slice(i + 2, length - 2);
            switch (kind)
            {
                case KindMss:
                    if (length != 4) return WireStatus.BadOption;
                    options.MaximumSegmentSize = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case KindWindowScale:
                    if (length != 3) return WireStatus.BadOption;
                    options.WindowScale = body[0];
                    break;
                case KindSackPermitted:
                    if (length != 2) return WireStatus.BadOption;
                    options.SackPermitted = true;
                    break;
                case KindSack:
                    if ((length - 2) % 8 != 0 || length == 2 || (length - 2) / 8 > MaxSackBlocks) return WireStatus.BadOption;
                    options.SackBlockCount = 0;
                    for (int b = 0; b < body.Length; b += 8)
                        options._sackBlocks[options.SackBlockCount++] =
                            new SackBlock(BinaryPrimitives.ReadUInt32BigEndian(body[b..]), BinaryPrimitives.ReadUInt32BigEndian(body[(b + 4)..]));
                    break;
                case KindTimestamps:
                    if (length != 10) return WireStatus.BadOption;
                    options.Timestamps = new TcpTimestamps(BinaryPrimitives.ReadUInt32BigEndian(body), BinaryPrimitives.ReadUInt32BigEndian(body[4..]));
                    break;
                default:
                    options.UnknownCount++;
                    break;
            }
            i += length;
        }
        return WireStatus.Ok;
    }
}
