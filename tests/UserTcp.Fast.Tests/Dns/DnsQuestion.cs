using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>A question as a scripted server read it from a query (RFC 1035 §4.1.2; queries are never compressed).</summary>
internal sealed record DnsQuestion(ushort Id, ushort Flags, string Name, DnsRecordType Type, Ipv4Address Client, ushort ClientPort, Instant At);
