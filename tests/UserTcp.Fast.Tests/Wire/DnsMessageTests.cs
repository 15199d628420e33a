using UserTcp.Fast.Randomness;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>RFC 1035 messages: literal query bytes, responses with compression and CNAME chains, and hostile input.</summary>
public sealed class DnsMessageTests
{
    [Fact] // RFC 1035 §4.1: header with RD, one question, labels, QTYPE A, QCLASS IN
    public void Query_has_the_exact_wire_format()
    {
        var buffer = new byte[512];
        buffer.AsSpan().Fill(0xA5);
        int length = DnsMessage.WriteQuery(buffer, 0x1234, "lab.example.");
        var expected = Convert.FromHexString("123401000001000000000000" + "036c6162" + "076578616d706c65" + "00" + "0001" + "0001");
        Assert.Equal(expected, buffer[..length]);
        Assert.Equal(0xA5, buffer[length]);
    }

    [Theory] // RFC 1035 §2.3.4: labels of 1..63 ASCII bytes
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("café.example")]
    public void Query_refuses_names_that_cannot_be_encoded(string name) =>
        Assert.Throws<ArgumentException>(() => DnsMessage.WriteQuery(new byte[512], 1, name));

    [Fact]
    public void Query_refuses_a_label_over_63_bytes() =>
        Assert.Throws<ArgumentException>(() => DnsMessage.WriteQuery(new byte[512], 1, new string('a', 64) + ".example"));

    /// <summary>www.lab.example CNAME lab.example (compressed), lab.example A 198.18.0.1 and 198.18.0.9, and an unrelated A.</summary>
    private static byte[] ChainResponse(ushort id = 0x0707, ushort flags = 0x8180) => Convert.FromHexString(
        $"{id:x4}{flags:x4}" + "0001" + "0004" + "00000000"
        + "03777777036c6162076578616d706c6500" + "0001" + "0001"    // question at offset 12: www.lab.example A IN
        + "c00c" + "0005" + "0001" + "0000012c" + "0002" + "c010"   // www.lab.example CNAME -> lab.example (pointer to 16), TTL 300
        + "c010" + "0001" + "0001" + "0000003c" + "0004" + "c6120001" // lab.example A 198.18.0.1, TTL 60
        + "c010" + "0001" + "0001" + "00000078" + "0004" + "c6120009" // lab.example A 198.18.0.9, TTL 120
        + "c014" + "0001" + "0001" + "0000003c" + "0004" + "c6120063"); // example A 198.18.0.99: not on the chain

    [Fact] // RFC 1035 §3.6.2, §4.1.4: compressed names, the CNAME chain followed, the smallest TTL on it
    public void Response_follows_the_cname_chain()
    {
        Assert.Equal(WireStatus.Ok, DnsMessage.TryParseResponse(ChainResponse(), 0x0707, "www.lab.example", out var answer));
        Assert.Equal(DnsResponseCode.NoError, answer!.ResponseCode);
        Assert.Equal(["lab.example"], answer.Aliases);
        Assert.Equal([new Ipv4Address(198, 18, 0, 1), new Ipv4Address(198, 18, 0, 9)], answer.Addresses);
        Assert.Equal(60u, answer.TimeToLiveSeconds);
    }

    [Fact] // RFC 1035 §4.1.1: RCODE 3 is "name error"
    public void Name_error_is_reported()
    {
        var response = Convert.FromHexString("0001" + "8183" + "0001" + "0000" + "00000000" + "076e6f77686572650000010001");
        Assert.Equal(WireStatus.Ok, DnsMessage.TryParseResponse(response, 1, "nowhere", out var answer));
        Assert.Equal(DnsResponseCode.NameError, answer!.ResponseCode);
        Assert.Empty(answer.Addresses);
    }

    [Fact] // a response to another query (other ID, other name, or not a response) is not ours
    public void Foreign_responses_are_refused()
    {
        Assert.Equal(WireStatus.Unsupported, DnsMessage.TryParseResponse(ChainResponse(), 0x0708, "www.lab.example", out _));
        Assert.Equal(WireStatus.Unsupported, DnsMessage.TryParseResponse(ChainResponse(), 0x0707, "other.example", out _));
        Assert.Equal(WireStatus.Unsupported, DnsMessage.TryParseResponse(ChainResponse(flags: 0x0100), 0x0707, "www.lab.example", out _));
    }

    [Fact] // a CNAME loop (a -> b -> a) ends in an error, not a hang
    public void Cname_loop_is_refused()
    {
        var loop = Convert.FromHexString("0001" + "8180" + "0001" + "0002" + "00000000"
                                         + "01610000010001"                            // question at 12: a A IN
                                         + "c00c" + "0005" + "0001" + "0000003c" + "0003" + "016200" // a CNAME b ("b" at 31)
                                         + "c01f" + "0005" + "0001" + "0000003c" + "0002" + "c00c");  // b CNAME a
        Assert.Equal(WireStatus.Unsupported, DnsMessage.TryParseResponse(loop, 1, "a", out _));
    }

    [Fact] // RFC 1035 §4.1.4: a pointer to itself is a loop, caught
    public void Compression_loop_is_caught()
    {
        var response = Convert.FromHexString("0001" + "8180" + "0001" + "0001" + "00000000" + "01610000010001" + "c013" + "0001000100000001" + "0004" + "c6120001");
        // The answer's owner name at offset 19 (0x13) points to itself.
        Assert.Equal(WireStatus.BadLength, DnsMessage.TryParseResponse(response, 1, "a", out _));
    }

    [Fact] // every truncation and 2,000 random or mutated messages: a result, never an exception
    public void Hostile_input_never_throws()
    {
        var valid = ChainResponse();
        for (int cut = 0; cut < valid.Length; cut++)
            Assert.NotEqual(WireStatus.Ok, DnsMessage.TryParseResponse(valid.AsSpan(0, cut), 0x0707, "www.lab.example", out _));
        var random = new DeterministicRandom(53);
        for (int i = 0; i < 2000; i++)
        {
            var message = i % 2 == 0 ? new byte[random.Next(0, 300)] : (byte[])valid.Clone();
            if (i % 2 == 0) random.NextBytes(message);
            else for (int flips = random.Next(1, 6); flips > 0; flips--) message[random.Next(0, message.Length)] = (byte)random.Next(0, 256);
            DnsMessage.TryParseResponse(message, 0x0707, "www.lab.example", out _);
        }
    }
}
