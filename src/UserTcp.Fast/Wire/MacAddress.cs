using System.Buffers.Binary;
using System.Globalization;

namespace UserTcp.Fast.Wire;

/// <summary>A 48-bit Ethernet address held in a <see cref="ulong"/>: no allocation, cheap equality.</summary>
public readonly record struct MacAddress
{
    private const ulong Mask = 0xFFFF_FFFF_FFFF;
    public const int Length = 6;

    public static readonly MacAddress Broadcast = new(Mask);
    public static readonly MacAddress Zero = new(0);

    /// <summary>The address as a big-endian 48-bit number (first octet in bits 40..47).</summary>
    public ulong Value { get; }

    public MacAddress(ulong value) => Value = value & Mask;

    public bool IsBroadcast => Value == Mask;

    /// <summary>The group bit: the least significant bit of the first octet (IEEE 802-2014 §8.2).</summary>
    public bool IsMulticast => (Value & 0x0100_0000_0000) != 0;

    public static MacAddress Read(ReadOnlySpan<byte> source) =>
        new(((ulong)BinaryPrimitives.ReadUInt32BigEndian(source) << 16) | BinaryPrimitives.ReadUInt16BigEndian(source[4..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)Value);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(Value >> 16));
    }

    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress address)
    {
        address = default;
        if (text.Length != 17) return false;
        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && text[i * 3 - 1] is not (':' or '-')) return false;
            if (!byte.TryParse(text.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte octet))
                return false;
            value = (value << 8) | octet;
        }
        address = new MacAddress(value);
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a MAC address (aa:bb:cc:dd:ee:ff).");

    public override string ToString() => string.Create(17, Value, static (chars, value) =>
    {
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            byte octet = (byte)(value >> (40 - 8 * i));
            chars[i * 3] = hex[octet >> 4];
            chars[i * 3 + 1] = hex[octet & 0xF];
            if (i < 5) chars[i * 3 + 2] = ':';
        }
    });
}
