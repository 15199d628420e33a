using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>DHCP messages (RFC 2131 §2, RFC 2132) from and to literal bytes, malformed input against a guard page, and
/// PacketDotNet's DhcpV4Packet as an independent reader of what we write.</summary>
public sealed class DhcpMessageTests : IDisposable
{
    private static readonly MacAddress Mac = MacAddress.Parse("00:0b:82:01:fc:42");
    private readonly GuardedPage _page = new();

    public void Dispose() => _page.Dispose();

    /// <summary>A DISCOVER as the client sends it, byte for byte: BOOTREQUEST, Ethernet, xid, BROADCAST flag, chaddr,
    /// cookie, then options 53, 61, 55 and the end, zero-padded to 300 bytes (RFC 1542 §3.2.1).</summary>
    [Fact]
    public void Discover_WritesTheseBytes()
    {
        var discover = new DhcpMessage
        {
            Type = DhcpMessageType.Discover, TransactionId = 0x3903F326, Broadcast = true, ClientMac = Mac,
            RequestsParameters = true, HasClientIdentifier = true,
        };
        var buffer = new byte[400];
        buffer.AsSpan().Fill(0xA5); // a byte the writer forgets shows
        Assert.Equal(300, discover.Write(buffer));
        var expected = new byte[300];
        Convert.FromHexString("010106003903F32600008000").CopyTo(expected, 0);
        Convert.FromHexString("000B8201FC42").CopyTo(expected, 28);
        Convert.FromHexString("63825363" + "350101" + "3D0E0075736572746370000B8201FC42" + "370701030 61A333A3B".Replace(" ", "") + "FF").CopyTo(expected, 236);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, 300));
        Assert.Equal((byte)0xA5, buffer[300]);
    }

    /// <summary>An OFFER as a server sends it (dnsmasq's option order, with pads before the end).</summary>
    private static byte[] Offer()
    {
        var offer = new byte[300];
        Convert.FromHexString("020106003903F32600008000" + "00000000" + "C0A8000A" + "C0A80001" + "00000000" + "000B8201FC42").CopyTo(offer, 0);
        Convert.FromHexString("63825363" + "350102" + "0104FFFFFF00" + "3A0400000708" + "3B0400000C4E" + "330400000E10" + "3604C0A80001"
                              + "0304C0A80001" + "0608C0A8000108080808" + "1A0205DC" + "0000" + "FF").CopyTo(offer, 236);
        return offer;
    }

    [Fact]
    public void Offer_ParsesToTheseValues()
    {
        Assert.Equal(WireStatus.Ok, DhcpMessage.TryParse(Offer(), out var message));
        Assert.True(message!.IsReply);
        Assert.Equal(DhcpMessageType.Offer, message.Type);
        Assert.Equal(0x3903F326u, message.TransactionId);
        Assert.True(message.Broadcast);
        Assert.Equal(Mac, message.ClientMac);
        Assert.Equal(new Ipv4Address(192, 168, 0, 10), message.YourAddress);
        Assert.Equal(new Ipv4Address(192, 168, 0, 1), message.NextServerAddress);
        Assert.Equal(24, message.PrefixLength);
        Assert.Equal(1800u, message.RenewalTime);
        Assert.Equal(3150u, message.RebindingTime);
        Assert.Equal(3600u, message.LeaseTime);
        Assert.Equal(new Ipv4Address(192, 168, 0, 1), message.ServerIdentifier);
        Assert.Equal(new Ipv4Address(192, 168, 0, 1), message.Router);
        Assert.Equal([new Ipv4Address(192, 168, 0, 1), new Ipv4Address(8, 8, 8, 8)], message.DnsServers);
        Assert.Equal(1500, message.Mtu);
    }

    [Fact]
    public void WriteThenParse_RoundTripsEveryField()
    {
        var ack = new DhcpMessage
        {
            IsReply = true, Type = DhcpMessageType.Ack, TransactionId = 7, Seconds = 3, ClientMac = Mac, ClientAddress = new Ipv4Address(10, 0, 0, 9),
            YourAddress = new Ipv4Address(10, 0, 0, 9), PrefixLength = 20, Router = new Ipv4Address(10, 0, 0, 1),
            DnsServers = [new Ipv4Address(10, 0, 0, 2)], Mtu = 1400, LeaseTime = uint.MaxValue, RenewalTime = 10, RebindingTime = 20,
            ServerIdentifier = new Ipv4Address(10, 0, 0, 1), RequestedIp = new Ipv4Address(10, 0, 0, 9), HostName = "laptop",
        };
        var buffer = new byte[ack.Length];
        ack.Write(buffer);
        Assert.Equal(WireStatus.Ok, DhcpMessage.TryParse(buffer, out var parsed));
        Assert.Equal(ack with { DnsServers = parsed!.DnsServers }, parsed);
        Assert.Equal(ack.DnsServers, parsed.DnsServers);
    }

    [Theory]
    [InlineData("overload (52) is refused", 243, "340103FF", WireStatus.Unsupported)]
    [InlineData("a non-contiguous mask", 243, "0104FF00FF00FF", WireStatus.BadOption)]
    [InlineData("a message type of length 2", 240, "35020101FF", WireStatus.BadOption)]
    [InlineData("a message type twice", 243, "350102FF", WireStatus.BadOption)]
    [InlineData("an unknown message type", 242, "09", WireStatus.BadOption)]
    [InlineData("an MTU below 68", 243, "1A020040FF", WireStatus.BadOption)]
    [InlineData("a router list not a multiple of 4", 243, "030501020304FF", WireStatus.BadOption)]
    [InlineData("an option running past the end", 296, "0A08", WireStatus.Truncated)]
    [InlineData("no end option", 243, "", WireStatus.Truncated)]
    [InlineData("no message type (plain BOOTP)", 240, "FF", WireStatus.Unsupported)]
    [InlineData("a bad magic cookie", 236, "63825364", WireStatus.Unsupported)]
    [InlineData("op 3", 0, "03", WireStatus.BadOperation)]
    [InlineData("hardware length 16", 2, "10", WireStatus.Unsupported)]
    public void Malformed_IsAStatusNeverAnException(string what, int at, string hex, WireStatus expected)
    {
        var message = new byte[300];
        Convert.FromHexString("020106003903F32600008000").CopyTo(message, 0);
        Convert.FromHexString("63825363350102FF").CopyTo(message, 236);
        if (hex.Length == 0) message.AsSpan(at).Clear(); // pads to the end, never an end option
        else Convert.FromHexString(hex).CopyTo(message, at);
        if (at == 296) message.AsSpan(243, 53).Clear(); // pads up to the option that runs past the end
        Assert.True(expected == DhcpMessage.TryParse(_page.AtEnd(message), out _), what);
    }

    /// <summary>Every prefix of a valid OFFER, ending at an inaccessible page: no read past the end, never Ok before the end option.</summary>
    [Fact]
    public void EveryTruncation_EndingAtTheGuard()
    {
        var offer = Offer();
        int end = Array.LastIndexOf(offer, (byte)0xFF) + 1;
        for (int length = 0; length <= offer.Length; length++)
        {
            var status = DhcpMessage.TryParse(_page.AtEnd(offer.AsSpan(0, length)), out _);
            Assert.True((status == WireStatus.Ok) == (length >= end), $"length {length}: {status}");
        }
    }

    [Fact]
    public void RandomMutations_EndingAtTheGuard() => Seeded.ForEach(500_000, 5000, random =>
    {
        var message = Offer();
        for (int i = random.Next(1, 8); i > 0; i--) message[236 + random.Next(message.Length - 236)] = (byte)random.Next(256);
        DhcpMessage.TryParse(_page.AtEnd(message.AsSpan(0, random.Next(message.Length + 1))), out _);
    });

    /// <summary>PacketDotNet reads what we write to the same values.</summary>
    [Fact]
    public void PacketDotNet_ReadsWhatWeWrite()
    {
        var request = new DhcpMessage
        {
            Type = DhcpMessageType.Request, TransactionId = 0xDEADBEEF, Seconds = 5, Broadcast = true, ClientMac = Mac,
            RequestedIp = new Ipv4Address(198, 18, 5, 100), ServerIdentifier = new Ipv4Address(198, 18, 5, 1),
            RequestsParameters = true, HasClientIdentifier = true, HostName = "usertcp",
        };
        var buffer = new byte[request.Length];
        request.Write(buffer);
        var oracle = new DhcpV4Packet(new ByteArraySegment(buffer), null);
        Assert.Equal(DhcpV4Operation.BootRequest, oracle.Operation);
        Assert.Equal(DhcpV4MessageType.Request, oracle.MessageType);
        Assert.Equal(0xDEADBEEFu, oracle.TransactionId);
        Assert.Equal(PhysicalAddress.Parse("00-0B-82-01-FC-42"), oracle.ClientHardwareAddress);
        Assert.Equal(IPAddress.Any, oracle.ClientAddress);
        var options = oracle.GetOptions().Where(o => (byte)o.OptionType is not (0 or 255)).ToDictionary(o => (byte)o.OptionType, o => Convert.ToHexString(o.Data));
        Assert.Equal("C6120564", options[50]);
        Assert.Equal("C6120501", options[54]);
        Assert.Equal("0103061A333A3B", options[55]);
        Assert.Equal("0075736572746370000B8201FC42", options[61]); // type 0, "usertcp", the MAC
        Assert.Equal(Convert.ToHexString("usertcp"u8), options[12]);
    }

    /// <summary>And we read what PacketDotNet reads in a server's OFFER.</summary>
    [Fact]
    public void PacketDotNet_AgreesOnTheOffer()
    {
        var bytes = Offer();
        var oracle = new DhcpV4Packet(new ByteArraySegment(bytes), null);
        DhcpMessage.TryParse(bytes, out var ours);
        Assert.Equal((byte)oracle.MessageType, (byte)ours!.Type);
        Assert.Equal(oracle.TransactionId, ours.TransactionId);
        Assert.Equal(oracle.YourAddress, ours.YourAddress.ToIPAddress());
        var options = oracle.GetOptions().Where(o => (byte)o.OptionType is not (0 or 255)).ToDictionary(o => (byte)o.OptionType, o => o.Data);
        Assert.Equal(Ipv4Address.Read(options[54]), ours.ServerIdentifier);
        Assert.Equal(Ipv4Address.Read(options[3]), ours.Router);
        Assert.Equal(options[51], BitConverter.GetBytes(ours.LeaseTime!.Value).Reverse().ToArray());
    }
}
