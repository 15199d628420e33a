using System.Buffers.Binary;
using System.Text;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>Reads queries and writes responses the way a recursive server would (RFC 1035 §4.1), without compression.</summary>
internal static class DnsWire
{
    public static DnsQuestion ReadQuery(ReadOnlySpan<byte> message, Ipv4Address client, ushort clientPort, Instant at)
    {
        var labels = new List<string>();
        int offset = DnsMessage.HeaderLength;
        while (message[offset] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(message.Slice(offset + 1, message[offset])));
            offset += 1 + message[offset];
        }
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 1)..]);
        return new DnsQuestion(BinaryPrimitives.ReadUInt16BigEndian(message), BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
                               string.Join('.', labels), type, client, clientPort, at);
    }

    /// <summary>A response to (<paramref name="id"/>, <paramref name="name"/> A IN) with RA set, the given RCODE and TC, and <paramref name="answers"/>.</summary>
    public static byte[] Response(ushort id, string name, DnsResponseCode code = DnsResponseCode.NoError, bool truncated = false, params DnsRecord[] answers)
    {
        var message = new byte[512];
        BinaryPrimitives.WriteUInt16BigEndian(message, id);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)(0x8180 | (truncated ? 0x0200 : 0) | (int)code)); // QR RD RA
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), (ushort)answers.Length);
        int offset = DnsMessage.HeaderLength + DnsMessage.WriteName(message.AsSpan(DnsMessage.HeaderLength), name);
        offset = WriteTypeAndClass(message, offset, DnsRecordType.A);
        foreach (var record in answers)
        {
            offset += DnsMessage.WriteName(message.AsSpan(offset), record.Owner);
            offset = WriteTypeAndClass(message, offset, record.Type);
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(offset), record.Ttl);
            int dataLength = record.Type == DnsRecordType.A ? 4 : DnsMessage.WriteName(message.AsSpan(offset + 6), record.Target);
            if (record.Type == DnsRecordType.A) record.Address.Write(message.AsSpan(offset + 6));
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset + 4), (ushort)dataLength);
            offset += 6 + dataLength;
        }
        return message[..offset];
    }

    public static byte[] Response(DnsQuestion question, DnsResponseCode code = DnsResponseCode.NoError, bool truncated = false, params DnsRecord[] answers) =>
        Response(question.Id, question.Name, code, truncated, answers);

    private static int WriteTypeAndClass(byte[] message, int offset, DnsRecordType type)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset), (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset + 2), 1); // IN
        return offset + 4;
    }
}
