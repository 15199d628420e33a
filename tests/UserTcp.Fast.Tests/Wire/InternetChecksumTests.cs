using System.Buffers.Binary;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>The vectorized checksum against a plain RFC 1071 loop, known vectors, and RFC 1624 incremental updates.</summary>
public class InternetChecksumTests
{
    /// <summary>RFC 1071 §3 as written: big-endian 16-bit words, an odd last byte padded with zero, carries folded back.</summary>
    internal static uint NaiveSum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (uint)sum;
    }

    [Fact]
    public void Rfc1071Example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 2:ddf0, folded to ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2u, InternetChecksum.Sum(data));
        Assert.Equal(0x220d, InternetChecksum.Compute(data));
    }

    [Fact]
    public void EmptyAndAllZeroSumToZero()
    {
        Assert.Equal(0u, InternetChecksum.Sum([]));
        Assert.Equal(0u, InternetChecksum.Sum(new byte[4096]));
        Assert.Equal(0xFFFF, InternetChecksum.Compute([]));
    }

    [Fact]
    public void ReproducesTheCapturedChecksums()
    {
        byte[] syn = TestFrames.LinuxSyn;
        var ipHeader = syn.AsSpan(14, 20).ToArray();
        ipHeader[10] = ipHeader[11] = 0;
        Assert.Equal(0xdc8c, InternetChecksum.Compute(ipHeader));

        var segment = syn.AsSpan(34).ToArray();
        segment[16] = segment[17] = 0;
        uint sum = InternetChecksum.Add(InternetChecksum.PseudoHeaderSum(TestFrames.HostIp, TestFrames.ServerIp, IpProtocol.Tcp, segment.Length),
                                        InternetChecksum.Sum(segment));
        Assert.Equal(0x5337, InternetChecksum.Finish(sum));
    }

    /// <summary>Every length through the vector blocks, the scalar 8/4/2/1-byte tails and their seams, from unaligned starts.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(31)]
    public void SumMatchesNaiveForEveryLengthUpTo2100(int seed)
    {
        var random = new Random(seed);
        byte[] buffer = random.NextBytes(2100 + 64);
        for (int length = 0; length <= 2100; length++)
        {
            int offset = random.Next(64);
            var data = buffer.AsSpan(offset, length);
            uint expected = NaiveSum(data);
            uint actual = InternetChecksum.Sum(data);
            Assert.True(expected == actual, $"seed {seed}, length {length}, offset {offset}: expected 0x{expected:x4}, got 0x{actual:x4}");
        }
    }

    /// <summary>Past 1 MiB the vector loop starts a new block of lane accumulators (lanes would overflow otherwise).</summary>
    [Theory]
    [InlineData(0x100000 - 1, 0)]
    [InlineData(0x100000, 0)]
    [InlineData(0x100000 + 1, 1)]
    [InlineData(0x100000 + 64, 3)]
    [InlineData(3 * 0x100000 + 37, 5)]
    public void SumMatchesNaiveForBuffersPastTheLaneBlock(int length, int offset)
    {
        byte[] buffer = new Random(length).NextBytes(length + offset);
        Assert.Equal(NaiveSum(buffer.AsSpan(offset)), InternetChecksum.Sum(buffer.AsSpan(offset)));

        // All ones is the worst case for lane growth: every 16-bit half adds 0xFFFF.
        buffer.AsSpan().Fill(0xFF);
        Assert.Equal(NaiveSum(buffer.AsSpan(offset)), InternetChecksum.Sum(buffer.AsSpan(offset)));
    }

    [Fact]
    public void SumsCombineWithAdd() => Seeded.ForEach(100, 300, random =>
    {
        byte[] data = random.NextBytes(random.Next(2000));
        int split = random.Next(data.Length / 2 + 1) * 2; // partial sums combine at even offsets
        Assert.Equal(InternetChecksum.Sum(data), InternetChecksum.Add(InternetChecksum.Sum(data.AsSpan(0, split)), InternetChecksum.Sum(data.AsSpan(split))));
    });

    [Fact]
    public void PseudoHeaderSumMatchesTheSumOfThePseudoHeader() => Seeded.ForEach(200, 300, random =>
    {
        var (source, destination) = (random.NextIpv4(), random.NextIpv4());
        var protocol = random.NextBool() ? IpProtocol.Tcp : IpProtocol.Udp;
        int length = random.Next(0x10000);
        var pseudo = new byte[12];
        source.Write(pseudo);
        destination.Write(pseudo.AsSpan(4));
        pseudo[9] = (byte)protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)length);
        Assert.Equal(NaiveSum(pseudo), InternetChecksum.PseudoHeaderSum(source, destination, protocol, length));
    });

    [Fact]
    public void ComputedChecksumValidatesAndAnyBitFlipIsDetected() => Seeded.ForEach(300, 100, random =>
    {
        byte[] data = random.NextBytes(2 * random.Next(2, 40));
        data[0] = data[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(data, InternetChecksum.Compute(data));
        Assert.True(InternetChecksum.IsValid(InternetChecksum.Sum(data)));

        int bit = random.Next(data.Length * 8);
        data[bit / 8] ^= (byte)(1 << (bit % 8));
        Assert.False(InternetChecksum.IsValid(InternetChecksum.Sum(data)), $"flip of bit {bit} not detected");
    });

    [Fact]
    public void Rfc1624Example()
    {
        // RFC 1624 §5: m = 0x5555 becomes 0x3285 under HC = 0xDD2F; eqn. 3 gives 0x0000 (eqn. 2 wrongly gives 0xFFFF).
        Assert.Equal(0x0000, InternetChecksum.Update(0xDD2F, (ushort)0x5555, (ushort)0x3285));
    }

    /// <summary>Changing one 16-bit word, or one aligned 32-bit field, and updating gives what recomputing gives.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UpdateMatchesRecomputation(bool thirtyTwoBit) => Seeded.ForEach(thirtyTwoBit ? 500 : 400, 1000, random =>
    {
        const int checksumOffset = 10; // as in an IPv4 header
        byte[] header = random.NextBytes(20 + 4 * random.Next(11));
        Recompute(header);
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(checksumOffset));

        int width = thirtyTwoBit ? 4 : 2, fieldOffset;
        do fieldOffset = 2 * random.Next((header.Length - width) / 2 + 1);
        while (fieldOffset < checksumOffset + 2 && fieldOffset + width > checksumOffset); // not over the checksum itself

        ushort updated;
        if (thirtyTwoBit)
        {
            uint old = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(fieldOffset)), now = random.NextUInt32();
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(fieldOffset), now);
            updated = InternetChecksum.Update(checksum, old, now);
        }
        else
        {
            ushort old = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(fieldOffset)), now = random.NextUInt16();
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(fieldOffset), now);
            updated = InternetChecksum.Update(checksum, old, now);
        }

        Recompute(header);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(checksumOffset)), updated);

        static void Recompute(byte[] header)
        {
            header[checksumOffset] = header[checksumOffset + 1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(checksumOffset), InternetChecksum.Compute(header));
        }
    });

    [Fact]
    public void FoldReducesAnySumToSixteenBitsModulo0xFFFF() => Seeded.ForEach(600, 1000, random =>
    {
        ulong sum = (ulong)random.NextInt64() * 2 + (ulong)random.Next(2);
        uint folded = InternetChecksum.Fold(sum);
        Assert.True(folded <= 0xFFFF);
        Assert.Equal(sum % 0xFFFF, folded % 0xFFFFUL);
        Assert.True(sum == 0 || folded != 0, "a non-zero sum folds to a non-zero value (0xFFFF, not 0)");
    });
}
