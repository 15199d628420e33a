using UserTcp.Fast.Devices.HostMode;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>Host-address mode's bookkeeping without a kernel: the reserved-ports sysctl's text, the choice of a free block,
/// the record kept in the nftables table's comment, and the table itself.</summary>
public sealed class HostModeTests
{
    [Theory]
    [InlineData("40000-40999", 40000, 40999)]
    [InlineData("8080", 8080, 8080)]
    [InlineData("1-65535", 1, 65535)]
    public void Port_ranges_parse(string text, int first, int last)
    {
        Assert.True(PortRange.TryParse(text, out var range));
        Assert.Equal(new PortRange(first, last), range);
        Assert.Equal(text, range.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("2-1")]
    [InlineData("65536")]
    [InlineData("1-")]
    [InlineData("-5")]
    [InlineData("a-b")]
    [InlineData("+5")]
    public void Bad_port_ranges_are_refused(string text) => Assert.False(PortRange.TryParse(text, out _));

    [Theory] // adding a range and removing it gives back exactly the kernel's previous text
    [InlineData("")]
    [InlineData("8080")]
    [InlineData("8080,9000-9100")]
    [InlineData("50000-51023")] // adjacent to the block added below: merged while it is there, split again after
    public void Adding_and_removing_a_range_restores_the_previous_value(string previous)
    {
        Assert.True(ReservedPortSet.TryParse(previous + "\n", out var set));
        Assert.Equal(previous, set.ToString());
        var block = new PortRange(51024, 52047);
        set.Add(block);
        Assert.True(set.Contains(block.First) && set.Contains(block.Last));
        set.Remove(block);
        Assert.Equal(previous, set.ToString());
    }

    [Fact]
    public void The_kernels_form_is_ascending_and_merged()
    {
        Assert.True(ReservedPortSet.TryParse("9000-9001, 8080,9002", out var set));
        Assert.Equal("8080,9000-9002", set.ToString());
        Assert.False(ReservedPortSet.TryParse("8080,x", out _));
    }

    [Fact] // from the top of the ephemeral range down, skipping blocks with a reservation or a kernel socket
    public void A_free_block_avoids_reservations_and_ports_in_use()
    {
        var ephemeral = new PortRange(32768, 60999);
        Assert.True(ReservedPortSet.TryParse("", out var none));
        Assert.Equal(new PortRange(59976, 60999), HostAddressLease.ChooseFreeBlock(ephemeral, 1024, none, new HashSet<ushort>()));
        Assert.True(ReservedPortSet.TryParse("60000", out var one));
        Assert.Equal(new PortRange(58952, 59975), HostAddressLease.ChooseFreeBlock(ephemeral, 1024, one, new HashSet<ushort>()));
        Assert.Equal(new PortRange(57928, 58951), HostAddressLease.ChooseFreeBlock(ephemeral, 1024, one, new HashSet<ushort> { 59000 }));
        Assert.True(ReservedPortSet.TryParse("32768-60999", out var all));
        Assert.Null(HostAddressLease.ChooseFreeBlock(ephemeral, 1024, all, new HashSet<ushort>()));
        Assert.Null(HostAddressLease.ChooseFreeBlock(new PortRange(60000, 60100), 1024, none, new HashSet<ushort>()));
    }

    [Fact]
    public void The_record_survives_the_table_comment()
    {
        var record = new HostModeRecord(4242, 123456789, new PortRange(59976, 60999), "8080,9000-9100");
        Assert.Equal("usertcp_host_4242", record.TableName);
        Assert.True(HostModeRecord.TryParseComment(record.ToComment(), out var back));
        Assert.Equal(record, back);
        Assert.False(HostModeRecord.TryParseComment("someone else's table", out _));
        Assert.False(HostModeRecord.TryParseComment(record.ToComment() + " \" injected", out _));
    }

    [Fact] // a previous value too long for nft's 256-byte comment is left out, not truncated into a wrong one
    public void A_long_previous_value_is_left_out_of_the_comment()
    {
        string previous = string.Join(',', Enumerable.Range(0, 40).Select(i => (1000 + 2 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var record = new HostModeRecord(1, 2, new PortRange(59976, 60999), previous);
        Assert.True(record.ToComment().Length < 256);
        Assert.True(HostModeRecord.TryParseComment(record.ToComment(), out var back));
        Assert.Equal("?", back.Previous);
    }

    [Fact]
    public void The_table_drops_tcp_and_udp_for_the_ports_at_the_interfaces_ingress()
    {
        var record = new HostModeRecord(7, 8, new PortRange(59976, 60999), "");
        string script = HostAddressLease.TableScript(record, "eth0", new Ipv4Address(192, 168, 1, 20), [8080]);
        Assert.Contains("table netdev usertcp_host_7 {", script);
        Assert.Contains("type filter hook ingress device \"eth0\" priority filter; policy accept;", script);
        Assert.Contains("ip daddr 192.168.1.20 tcp dport { 59976-60999, 8080 } drop", script);
        Assert.Contains("ip daddr 192.168.1.20 udp dport 59976-60999 drop", script);
        Assert.Contains($"comment \"{record.ToComment()}\"", script);
    }
}
