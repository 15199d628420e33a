using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace UserTcp.Fast.Wire;

/// <summary>An IPv4 address as a host-order <see cref="uint"/> (198.18.0.1 is 0xC6120001): no allocation, cheap equality.</summary>
public readonly record struct Ipv4Address(uint Value) : IComparable<Ipv4Address>
{
    public const int Length = 4;
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xFFFF_FFFF);

    public Ipv4Address(byte a, byte b, byte c, byte d) : this((uint)(a << 24 | b << 16 | c << 8 | d)) { }

    public static Ipv4Address Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt32BigEndian(source));

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    /// <summary>True when both addresses share the first <paramref name="prefixLength"/> bits.</summary>
    public bool IsInSubnet(Ipv4Address network, int prefixLength) =>
        prefixLength == 0 || (Value ^ network.Value) >> (32 - prefixLength) == 0;

    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Address address)
    {
        address = default;
        Span<Range> parts = stackalloc Range[5];
        if (text.Split(parts, '.') != 4) return false;
        uint value = 0;
        foreach (var range in parts[..4])
        {
            var part = text[range];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0')) return false;
            uint octet = 0;
            foreach (char c in part)
            {
                if (c is < '0' or > '9') return false;
                octet = octet * 10 + (uint)(c - '0');
            }
            if (octet > 255) return false;
            value = (value << 8) | octet;
        }
        address = new Ipv4Address(value);
        return true;
    }

    public static Ipv4Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IPv4 address (a.b.c.d).");

    /// <summary>The same address as .NET's <see cref="IPAddress"/> (allocates one), for APIs that take endpoints.</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[Length];
        Write(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>An IPv4 <see cref="IPAddress"/> (or an IPv4-mapped IPv6 one) as an <see cref="Ipv4Address"/>.</summary>
    public static Ipv4Address FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        Span<byte> bytes = stackalloc byte[Length];
        address.TryWriteBytes(bytes, out _);
        return Read(bytes);
    }

    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";
}
