using System.Buffers.Binary;
using System.Text;

namespace UserTcp.Fast.Wire;

/// <summary>
/// The DNS message format (RFC 1035 §4): a query for one name's A records, and a response parsed into the addresses
/// reached by following CNAME records (§3.6.2) from the asked name, with compressed names (§4.1.4). Malformed
/// responses are a <see cref="WireStatus"/>, never an exception; compression loops and out-of-bounds pointers are caught.
/// Not on the per-packet path: it builds strings.
/// </summary>
internal static class DnsMessage
{
    public const int HeaderLength = 12;
    public const int MaxNameLength = 255;
    private const ushort FlagResponse = 0x8000, FlagTruncated = 0x0200, FlagRecursionDesired = 0x0100;
    private const ushort ClassInternet = 1;

    /// <summary>Writes a recursive query for <paramref name="name"/>'s records of <paramref name="type"/>; returns its length.</summary>
    public static int WriteQuery(Span<byte> destination, ushort id, string name, DnsRecordType type = DnsRecordType.A)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], FlagRecursionDesired);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 1); // QDCOUNT
        destination.Slice(6, 6).Clear();                            // ANCOUNT, NSCOUNT, ARCOUNT
        int offset = HeaderLength + WriteName(destination[HeaderLength..], name);
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], ClassInternet);
        return offset + 4;
    }

    /// <summary>Encodes <paramref name="name"/> as labels (RFC 1035 §3.1); throws for a name no query can carry (caller's input).</summary>
    public static int WriteName(Span<byte> destination, string name)
    {
        string trimmed = name.TrimEnd('.');
        if (trimmed.Length == 0 || trimmed.Length > MaxNameLength - 2) throw new ArgumentException($"'{name}' is not a valid DNS name", nameof(name));
        int offset = 0;
        foreach (var label in trimmed.Split('.'))
        {
            int length = Encoding.ASCII.GetByteCount(label);
            if (length is 0 or > 63 || label.Any(c => c > 127)) throw new ArgumentException($"'{name}' has an empty, too long or non-ASCII label", nameof(name));
            destination[offset++] = (byte)length;
            offset += Encoding.ASCII.GetBytes(label, destination[offset..]);
        }
        destination[offset++] = 0;
        return offset;
    }

    /// <summary>
    /// Parses a response to the query (<paramref name="expectedId"/>, <paramref name="name"/>): checks the ID, the
    /// response bit and the question, then follows CNAMEs from the asked name and collects its A records.
    /// </summary>
    public static WireStatus TryParseResponse(ReadOnlySpan<byte> message, ushort expectedId, string name, out DnsAnswer? answer)
    {
        answer = null;
        if (message.Length < HeaderLength) return WireStatus.Truncated;
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        if (id != expectedId || (flags & FlagResponse) == 0 || questions != 1) return WireStatus.Unsupported;
        int offset = HeaderLength;
        if (!TryReadName(message, ref offset, out var asked) || offset + 4 > message.Length) return WireStatus.BadLength;
        if (!NamesEqual(asked, name)) return WireStatus.Unsupported;
        offset += 4;

        var records = new List<(string Owner, DnsRecordType Type, uint Ttl, object Data)>();
        for (int i = 0; i < answers; i++)
        {
            if (!TryReadName(message, ref offset, out var owner) || offset + 10 > message.Length) return WireStatus.BadLength;
            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            if (offset + dataLength > message.Length) return WireStatus.BadLength;
            if (@class == ClassInternet && type == DnsRecordType.A)
            {
                if (dataLength != 4) return WireStatus.BadLength;
                records.Add((owner, type, ttl, Ipv4Address.Read(message[offset..])));
            }
            else if (@class == ClassInternet && type == DnsRecordType.Cname)
            {
                int at = offset;
                if (!TryReadName(message, ref at, out var target) || at != offset + dataLength) return WireStatus.BadLength;
                records.Add((owner, type, ttl, target));
            }
            offset += dataLength;
        }

        // RFC 1035 §3.6.2: follow the chain from the asked name; a loop or a chain longer than the records ends it.
        string current = asked;
        var aliases = new List<string>();
        uint minTtl = uint.MaxValue;
        for (int hops = 0; hops <= records.Count; hops++)
        {
            var cname = records.FirstOrDefault(r => r.Type == DnsRecordType.Cname && NamesEqual(r.Owner, current));
            if (cname.Owner is null) break;
            if (aliases.Any(a => NamesEqual(a, (string)cname.Data))) return WireStatus.Unsupported; // CNAME loop
            aliases.Add((string)cname.Data);
            minTtl = Math.Min(minTtl, cname.Ttl);
            current = (string)cname.Data;
        }
        var addresses = new List<Ipv4Address>();
        foreach (var record in records)
        {
            if (record.Type != DnsRecordType.A || !NamesEqual(record.Owner, current)) continue;
            addresses.Add((Ipv4Address)record.Data);
            minTtl = Math.Min(minTtl, record.Ttl);
        }
        answer = new DnsAnswer(id, (DnsResponseCode)(flags & 0xF), (flags & FlagTruncated) != 0, addresses, aliases,
                               minTtl == uint.MaxValue ? 0 : minTtl);
        return WireStatus.Ok;
    }

    /// <summary>Reads a possibly compressed name (RFC 1035 §4.1.4) at <paramref name="offset"/>, advancing past it.</summary>
    private static bool TryReadName(ReadOnlySpan<byte> message, ref int offset, out string name)
    {
        var text = new StringBuilder();
        int position = offset, jumps = 0, end = -1;
        while (true)
        {
            if (position >= message.Length) { name = ""; return false; }
            byte length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length || ++jumps > 32) { name = ""; return false; } // loops end here
                if (end < 0) end = position + 2;
                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }
            if ((length & 0xC0) != 0) { name = ""; return false; }
            position++;
            if (length == 0) break;
            if (position + length > message.Length || text.Length + length + 1 > MaxNameLength) { name = ""; return false; }
            if (text.Length > 0) text.Append('.');
            text.Append(Encoding.ASCII.GetString(message.Slice(position, length)));
            position += length;
        }
        offset = end >= 0 ? end : position;
        name = text.ToString();
        return true;
    }

    private static bool NamesEqual(string a, string b) => string.Equals(a.TrimEnd('.'), b.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);
}
