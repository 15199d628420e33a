using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

public class AddressTests
{
    [Theory]
    [InlineData("08:00:27:8e:3c:1b", 0x0800_278E_3C1BUL)]
    [InlineData("08-00-27-8E-3C-1B", 0x0800_278E_3C1BUL)]
    [InlineData("ff:ff:ff:ff:ff:ff", 0xFFFF_FFFF_FFFFUL)]
    [InlineData("00:00:00:00:00:00", 0UL)]
    public void Mac_ParsesAndFormats(string text, ulong value)
    {
        var address = MacAddress.Parse(text);
        Assert.Equal(value, address.Value);
        Assert.Equal(text.ToLowerInvariant().Replace('-', ':'), address.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("08:00:27:8e:3c")]
    [InlineData("08:00:27:8e:3c:1b:00")]
    [InlineData("08.00.27.8e.3c.1b")]
    [InlineData("08:00:27:8e:3c:1g")]
    [InlineData("+8:00:27:8e:3c:1b")]
    [InlineData(" 8:00:27:8e:3c:1b")]
    public void Mac_RejectsMalformedText(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void Mac_ReadsAndWritesNetworkOrder()
    {
        byte[] bytes = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
        var address = MacAddress.Read(bytes);
        Assert.Equal(0x0100_5e00_00fbUL, address.Value);
        Assert.True(address.IsMulticast);
        Assert.False(address.IsBroadcast);

        var written = WireAssert.Filled(8);
        address.Write(written);
        Assert.Equal([.. bytes, WireAssert.Fill, WireAssert.Fill], written);
    }

    [Fact]
    public void Mac_FlagsAndMasking()
    {
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.True(MacAddress.Broadcast.IsMulticast);
        Assert.False(new MacAddress(0x0800_278E_3C1B).IsMulticast);
        Assert.Equal(0x0800_278E_3C1BUL, new MacAddress(0xFFFF_0800_278E_3C1B).Value);
    }

    [Theory]
    [InlineData("10.0.2.15", 0x0A00020Fu)]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    [InlineData("198.18.0.1", 0xC6120001u)]
    public void Ipv4_ParsesAndFormats(string text, uint value)
    {
        var address = Ipv4Address.Parse(text);
        Assert.Equal(value, address.Value);
        Assert.Equal(text, address.ToString());
        Assert.Equal(address, new Ipv4Address((byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.2")]
    [InlineData("10.0.2.15.1")]
    [InlineData("10.0.2.256")]
    [InlineData("10.0.02.15")]
    [InlineData("10..2.15")]
    [InlineData("10.0.2.1a")]
    [InlineData("10.0.2.-1")]
    [InlineData("1000.0.2.15")]
    public void Ipv4_RejectsMalformedText(string text)
    {
        Assert.False(Ipv4Address.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Ipv4Address.Parse(text));
    }

    [Fact]
    public void Ipv4_ReadsAndWritesNetworkOrder()
    {
        byte[] bytes = [93, 184, 216, 34];
        var address = Ipv4Address.Read(bytes);
        Assert.Equal(new Ipv4Address(93, 184, 216, 34), address);
        var written = WireAssert.Filled(6);
        address.Write(written);
        Assert.Equal([.. bytes, WireAssert.Fill, WireAssert.Fill], written);
    }

    [Theory]
    [InlineData("10.0.2.15", "10.0.2.0", 24, true)]
    [InlineData("10.0.3.15", "10.0.2.0", 24, false)]
    [InlineData("10.0.3.15", "10.0.2.0", 23, true)]
    [InlineData("10.0.2.15", "10.0.2.15", 32, true)]
    [InlineData("10.0.2.14", "10.0.2.15", 32, false)]
    [InlineData("192.168.1.1", "10.0.0.0", 0, true)]
    [InlineData("138.0.0.1", "10.0.0.0", 1, false)]
    public void Ipv4_IsInSubnet(string address, string network, int prefixLength, bool expected) =>
        Assert.Equal(expected, Ipv4Address.Parse(address).IsInSubnet(Ipv4Address.Parse(network), prefixLength));

    [Fact]
    public void Ipv4_OrdersByNumericValue()
    {
        Assert.True(Ipv4Address.Parse("10.0.2.15").CompareTo(Ipv4Address.Parse("10.0.10.1")) < 0);
        Assert.True(Ipv4Address.Parse("200.0.0.0").CompareTo(Ipv4Address.Parse("10.0.0.0")) > 0);
    }

    [Theory] // the same address both ways, byte order included; IPv4-mapped IPv6 accepted, real IPv6 refused
    [InlineData("198.18.0.2")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("1.2.3.4")]
    public void Ipv4_converts_to_and_from_IPAddress(string text)
    {
        var address = Ipv4Address.Parse(text);
        Assert.Equal(System.Net.IPAddress.Parse(text), address.ToIPAddress());
        Assert.Equal(address, Ipv4Address.FromIPAddress(System.Net.IPAddress.Parse(text)));
        Assert.Equal(address, Ipv4Address.FromIPAddress(System.Net.IPAddress.Parse(text).MapToIPv6()));
        Assert.Throws<ArgumentException>(() => Ipv4Address.FromIPAddress(System.Net.IPAddress.IPv6Loopback));
    }
}
