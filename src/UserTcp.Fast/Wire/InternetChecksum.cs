using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace UserTcp.Fast.Wire;

/// <summary>
/// The Internet checksum (RFC 1071): the one's-complement of the one's-complement sum of 16-bit words.
/// </summary>
/// <remarks>
/// The sum is order-independent (RFC 1071 §2(B)), so the data is summed as native little-endian words,
/// wide, and byte-swapped once at the end. Sums are returned as "partial" values in network byte order,
/// already folded to 16 bits, so they can be combined with <see cref="Add"/> and closed with <see cref="Finish"/>.
/// </remarks>
public static class InternetChecksum
{
    /// <summary>One's-complement sum of <paramref name="data"/> as big-endian 16-bit words (odd length padded with zero), folded to 0..0xFFFF.</summary>
    public static uint Sum(ReadOnlySpan<byte> data) => SwapFolded(Fold(SumNative(data)));

    /// <summary>
    /// <see cref="Sum"/> for a header whose length is a multiple of 4, such as an IPv4 header (20..60 bytes): one add
    /// per 32-bit word, inlined. On the per-packet paths the general <see cref="Sum"/>'s call and loop setup cost more
    /// than summing 20 bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 4.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SumHeader(ReadOnlySpan<byte> header)
    {
        if ((header.Length & 3) != 0) ThrowNotWholeWords();
        ref byte start = ref MemoryMarshal.GetReference(header);
        ulong sum = 0;
        for (int offset = 0; offset < header.Length; offset += 4)
            sum += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
        return SwapFolded(Fold(sum));
    }

    /// <summary>Sum of the IPv4 pseudo-header used by TCP and UDP (RFC 9293 §3.1, RFC 768).</summary>
    public static uint PseudoHeaderSum(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int length) =>
        Fold((ulong)(source.Value >> 16) + (source.Value & 0xFFFF) + (destination.Value >> 16) + (destination.Value & 0xFFFF)
             + (uint)protocol + (uint)length);

    /// <summary>One's-complement addition of two partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Add(uint a, uint b) => Fold((ulong)a + b);

    /// <summary>Closes a partial sum into the value that goes on the wire.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(uint sum) => (ushort)~Fold(sum);

    /// <summary>The checksum of <paramref name="data"/> alone (IPv4 header, ICMP).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Sum(data));

    /// <summary>True when data that includes its own checksum field sums to 0xFFFF (RFC 1071 §1 step 3).</summary>
    public static bool IsValid(uint sumIncludingChecksumField) => Fold(sumIncludingChecksumField) == 0xFFFF;

    /// <summary>RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), updating a checksum after one 16-bit word changes.</summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord) =>
        (ushort)~Fold((ulong)(ushort)~checksum + (ushort)~oldWord + newWord);

    /// <summary>RFC 1624 update for a 32-bit field (an address or a sequence number) that changed.</summary>
    public static ushort Update(ushort checksum, uint oldValue, uint newValue) =>
        (ushort)~Fold((ulong)(ushort)~checksum
                      + (ushort)~(oldValue >> 16) + (ushort)~(oldValue & 0xFFFF)
                      + (newValue >> 16) + (newValue & 0xFFFF));

    /// <summary>
    /// Verdict on a TCP or UDP checksum, <paramref name="transport"/> being header and payload with its checksum field.
    /// An invalid sum whose field equals the folded pseudo-header sum is <see cref="ChecksumVerdict.Partial"/>.
    /// </summary>
    public static ChecksumVerdict VerifyTransport(ReadOnlySpan<byte> transport, ushort checksumField,
                                                  Ipv4Address source, Ipv4Address destination, IpProtocol protocol)
    {
        if (IsValid(Add(PseudoHeaderSum(source, destination, protocol, transport.Length), Sum(transport)))) return ChecksumVerdict.Valid;
        return IsPartial(checksumField, source, destination, protocol, transport.Length) ? ChecksumVerdict.Partial : ChecksumVerdict.Invalid;
    }

    /// <summary>
    /// True when a TCP or UDP checksum field holds the folded pseudo-header sum of a <paramref name="length"/>-byte
    /// segment: what a kernel that offloads the checksum (CHECKSUM_PARTIAL) leaves for the device to finish.
    /// </summary>
    internal static bool IsPartial(ushort checksumField, Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int length) =>
        checksumField == PseudoHeaderSum(source, destination, protocol, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Fold(ulong sum)
    {
        sum = (sum >> 32) + (sum & 0xFFFF_FFFF);
        sum = (sum >> 32) + (sum & 0xFFFF_FFFF);
        uint s = (uint)sum;
        s = (s >> 16) + (s & 0xFFFF);
        return (s >> 16) + (s & 0xFFFF);
    }

    private static void ThrowNotWholeWords() =>
        throw new ArgumentException("A header sum needs a length that is a multiple of 4 bytes.", "header");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SwapFolded(uint folded) => BinaryPrimitives.ReverseEndianness((ushort)folded);

    /// <summary>
    /// Sum of native-order words with end-around carry kept in 64 bits. Vector lanes hold 32-bit words split
    /// into their two 16-bit halves, so a lane grows by at most 2*0xFFFF per load and cannot overflow within a block.
    /// </summary>
    private static ulong SumNative(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint offset = 0;
        ulong sum = 0;
        // 16384 iterations add at most 16384 * 2 * 0xFFFF < 2^32 to each lane.
        const nuint lanesSafeIterations = 16384;

        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            var low16 = Vector256.Create(0xFFFFu);
            while (length - offset >= 64)
            {
                var acc0 = Vector256<uint>.Zero;
                var acc1 = Vector256<uint>.Zero;
                nuint blockEnd = offset + Math.Min((length - offset) & ~(nuint)63, lanesSafeIterations * 64);
                for (; offset < blockEnd; offset += 64)
                {
                    var v0 = Vector256.LoadUnsafe(ref start, offset).AsUInt32();
                    var v1 = Vector256.LoadUnsafe(ref start, offset + 32).AsUInt32();
                    acc0 += (v0 & low16) + Vector256.ShiftRightLogical(v0, 16);
                    acc1 += (v1 & low16) + Vector256.ShiftRightLogical(v1, 16);
                }
                var (lo0, hi0) = Vector256.Widen(acc0);
                var (lo1, hi1) = Vector256.Widen(acc1);
                sum += Vector256.Sum(lo0 + hi0 + lo1 + hi1);
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= 32)
        {
            var low16 = Vector128.Create(0xFFFFu);
            while (length - offset >= 32)
            {
                var acc0 = Vector128<uint>.Zero;
                var acc1 = Vector128<uint>.Zero;
                nuint blockEnd = offset + Math.Min((length - offset) & ~(nuint)31, lanesSafeIterations * 32);
                for (; offset < blockEnd; offset += 32)
                {
                    var v0 = Vector128.LoadUnsafe(ref start, offset).AsUInt32();
                    var v1 = Vector128.LoadUnsafe(ref start, offset + 16).AsUInt32();
                    acc0 += (v0 & low16) + Vector128.ShiftRightLogical(v0, 16);
                    acc1 += (v1 & low16) + Vector128.ShiftRightLogical(v1, 16);
                }
                var (lo0, hi0) = Vector128.Widen(acc0);
                var (lo1, hi1) = Vector128.Widen(acc1);
                sum += Vector128.Sum(lo0 + hi0 + lo1 + hi1);
            }
        }

        // Scalar tail, 8 bytes at a time with end-around carry (2^64 ≡ 1 mod 0xFFFF).
        for (; length - offset >= 8; offset += 8)
        {
            ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
            sum += word;
            if (sum < word) sum++;
        }
        ulong rest = 0;
        if (length - offset >= 4) { rest += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset)); offset += 4; }
        if (length - offset >= 2) { rest += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, offset)); offset += 2; }
        if (length - offset == 1) rest += Unsafe.Add(ref start, offset); // odd byte: high byte of a zero-padded word, low byte in native order
        sum += rest;
        if (sum < rest) sum++;
        return sum;
    }
}
