using System.Security.Cryptography;
using UserTcp.Testbed.Labs;

namespace UserTcp.Live.Tests.Labs;

/// <summary>Parsing of sizes, rates and loss, and the generated files' content: pure functions, no root needed.</summary>
public sealed class LabOptionsTests
{
    [Theory]
    [InlineData("64K", "64K", 65536)]
    [InlineData("64k", "64K", 65536)]
    [InlineData("1M", "1M", 1048576)]
    [InlineData("1G", "1G", 1073741824)]
    [InlineData("1000", "1000", 1000)]
    [InlineData("007M", "7M", 7340032)]
    [InlineData("0", "0", 0)]
    public void Sizes_use_binary_units_and_normalised_names(string text, string name, long bytes)
    {
        Assert.True(LabFileSpec.TryParseList(text, out var files, out string problem), problem);
        Assert.Equal([new LabFileSpec(name, bytes)], files);
    }

    [Fact]
    public void A_size_list_keeps_its_order()
    {
        Assert.True(LabFileSpec.TryParseList("1G, 64K,1M", out var files, out _));
        Assert.Equal(["1G", "64K", "1M"], files.Select(f => f.Name));
    }

    [Theory]
    [InlineData("100mbit", 100_000_000, "100mbit")]
    [InlineData("1gbit", 1_000_000_000, "1gbit")]
    [InlineData("1.5gbit", 1_500_000_000, "1500mbit")]
    [InlineData("64kbit", 64_000, "64kbit")]
    [InlineData("2500bit", 2_500, "2500bit")]
    [InlineData("100MBIT", 100_000_000, "100mbit")]
    public void Rates_are_si_bits_like_tc_and_print_in_the_largest_exact_unit(string text, long bits, string canonical)
    {
        Assert.True(LabRate.TryParse(text, out var rate, out string problem), problem);
        Assert.Equal(bits, rate.BitsPerSecond);
        Assert.Equal(canonical, rate.ToString());
    }

    [Fact]
    public void Loss_keeps_hundredths_of_a_percent_and_prints_without_trailing_zeros()
    {
        var settings = LabSettings.From(new LabOptions { LossPercent = 0.50m, LossUpPercent = 100 });
        Assert.Equal((50, 10000), (settings.LossHundredths, settings.LossUpHundredths));
        Assert.Equal("0.5", LabSettings.Percent(settings.LossHundredths).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("100", LabSettings.Percent(settings.LossUpHundredths).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Generated_content_depends_only_on_the_size()
    {
        string first = Path.GetTempFileName(), second = Path.GetTempFileName(), other = Path.GetTempFileName();
        try
        {
            string sha = LabFiles.Generate(first, 65536, CancellationToken.None);
            // Pinned: the same size must give the same bytes on every machine, run and version of this code.
            Assert.Equal("437eab9d2778197ce9fe592598f83170711eaa7f315535745de05ad8f0da5767", sha);
            Assert.Equal(sha, LabFiles.Generate(second, 65536, CancellationToken.None));
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(first))));
            Assert.NotEqual(sha, LabFiles.Generate(other, 65537, CancellationToken.None));
            Assert.False(File.ReadAllBytes(other).AsSpan(0, 65536).SequenceEqual(File.ReadAllBytes(first)), "sizes must not share a prefix");

            // Several 1 MiB chunks and a tail that ends inside a 64-bit word.
            LabFiles.Generate(other, 3 * (1 << 20) + 5, CancellationToken.None);
            Assert.Equal(3 * (1 << 20) + 5, new FileInfo(other).Length);
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
            File.Delete(other);
        }
    }
}
