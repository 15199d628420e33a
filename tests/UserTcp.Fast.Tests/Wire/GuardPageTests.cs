using System.Globalization;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>
/// Proof of no out-of-bounds read: the parsers and the checksum (which reads with unchecked vector loads) run on data
/// placed flush against an inaccessible page. A read past the end faults and takes the test host down; a pass means
/// every byte read was inside the span. Linux only (mmap/mprotect).
/// </summary>
public sealed class GuardPageTests : IDisposable
{
    private readonly GuardedPage _page = new();

    public void Dispose() => _page.Dispose();

    [Fact]
    public void GuardPagesAreInaccessibleAndTheDataPageIsNot()
    {
        Assert.Equal("---", PermissionsAt(_page.GuardBefore));
        Assert.Equal("rw-", PermissionsAt(_page.Data));
        Assert.Equal("---", PermissionsAt(_page.GuardAfter));
        Assert.Equal(_page.GuardAfter, _page.Data + _page.PageSize);
    }

    [Fact]
    public void Checksum_EveryLengthAgainstEitherGuard()
    {
        byte[] data = new Random(7).NextBytes(2100);
        for (int length = 0; length <= data.Length; length++)
        {
            var source = data.AsSpan(0, length);
            uint expected = InternetChecksumTests.NaiveSum(source);
            Assert.True(expected == InternetChecksum.Sum(_page.AtEnd(source)), $"length {length} ending at the guard");
            Assert.True(expected == InternetChecksum.Sum(_page.AtStart(source)), $"length {length} starting after the guard");
        }
    }

    /// <summary>Each valid frame, and the IPv4 packet and transport message inside it, cut to every length and run
    /// through every parser, ending at the guard.</summary>
    [Theory]
    [MemberData(nameof(TestFrames.ValidNames), MemberType = typeof(TestFrames))]
    public void EveryTruncationOfEveryLayer_EndingAtTheGuard(string name)
    {
        byte[] frame = TestFrames.Valid(name);
        var full = ParsedFrame.Parse(frame);
        int ethernetLength = full.Ethernet!.Length;
        int[] layerStarts = full.Ipv4 is { } ip ? [0, ethernetLength, ethernetLength + ip.HeaderLength] : [0, ethernetLength];
        foreach (int start in layerStarts)
            for (int length = 0; length <= frame.Length - start; length++)
                FuzzCorpus.CheckEveryLayer(_page.AtEnd(frame.AsSpan(start, length)));
    }

    [Fact]
    public void RandomBuffers_EndingAtTheGuard() =>
        Seeded.ForEach(300_000, 2000, random => FuzzCorpus.CheckEveryLayer(_page.AtEnd(FuzzCorpus.RandomBuffer(random))));

    [Fact]
    public void MutatedValidFrames_EndingAtTheGuard() =>
        Seeded.ForEach(400_000, 2000, random => FuzzCorpus.CheckEveryLayer(_page.AtEnd(FuzzCorpus.MutatedFrame(random))));

    /// <summary>The rwx letters of the /proc/self/maps mapping that holds <paramref name="address"/>.</summary>
    private static string PermissionsAt(nint address)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            string[] range = line[..line.IndexOf(' ')].Split('-');
            ulong start = ulong.Parse(range[0], NumberStyles.HexNumber), end = ulong.Parse(range[1], NumberStyles.HexNumber);
            if ((ulong)address >= start && (ulong)address < end) return line.Split(' ')[1][..3];
        }
        throw new InvalidOperationException($"0x{address:x} is not mapped.");
    }
}
