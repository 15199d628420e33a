using System.Buffers.Binary;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// The bytes of a simulated transfer: a keyed pseudo-random stream addressable by offset, so a receiver checks
/// every byte without either side keeping the data (splitmix64 of seed and 8-byte block index).
/// </summary>
internal readonly struct TransferPattern(ulong seed)
{
    public void Fill(long offset, Span<byte> destination)
    {
        Span<byte> block = stackalloc byte[8];
        int written = 0;
        while (written < destination.Length)
        {
            long position = offset + written;
            BinaryPrimitives.WriteUInt64LittleEndian(block, Block(position >> 3));
            int inBlock = (int)(position & 7);
            int n = Math.Min(8 - inBlock, destination.Length - written);
            block.Slice(inBlock, n).CopyTo(destination[written..]);
            written += n;
        }
    }

    /// <summary>Stream offset of the first byte of <paramref name="data"/> (received at <paramref name="offset"/>) that is wrong, or -1.</summary>
    public long FindMismatch(long offset, ReadOnlySpan<byte> data)
    {
        Span<byte> expected = stackalloc byte[256];
        for (int done = 0; done < data.Length; done += expected.Length)
        {
            int n = Math.Min(expected.Length, data.Length - done);
            Fill(offset + done, expected[..n]);
            int common = data.Slice(done, n).CommonPrefixLength(expected[..n]);
            if (common < n) return offset + done + common;
        }
        return -1;
    }

    private ulong Block(long index)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
