using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Zero-copy view of an Ethernet II frame, with at most one 802.1Q tag skipped.</summary>
public readonly ref struct EthernetFrame
{
    public const int HeaderLength = 14;
    public const int VlanTagLength = 4;

    private readonly ReadOnlySpan<byte> _frame;

    private EthernetFrame(ReadOnlySpan<byte> frame, int headerLength)
    {
        _frame = frame;
        Length = headerLength;
    }

    /// <summary>Header length including the VLAN tag when there is one (14 or 18).</summary>
    public int Length { get; }
    public MacAddress Destination => MacAddress.Read(_frame);
    public MacAddress Source => MacAddress.Read(_frame[6..]);
    public bool HasVlanTag => Length == HeaderLength + VlanTagLength;
    /// <summary>The 12-bit VLAN identifier of the skipped 802.1Q tag, or 0.</summary>
    public ushort VlanId => HasVlanTag ? (ushort)(BinaryPrimitives.ReadUInt16BigEndian(_frame[14..]) & 0x0FFF) : (ushort)0;
    public EtherType EtherType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_frame[(Length - 2)..]);
    /// <summary>Everything after the header; may include Ethernet padding, which the IP layer trims by its own length.</summary>
    public ReadOnlySpan<byte> Payload => _frame[Length..];

    public static WireStatus TryParse(ReadOnlySpan<byte> frame, out EthernetFrame view)
    {
        view = default;
        if (frame.Length < HeaderLength) return WireStatus.Truncated;
        int headerLength = HeaderLength;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (type == (ushort)EtherType.Vlan)
        {
            headerLength += VlanTagLength;
            if (frame.Length < headerLength) return WireStatus.Truncated;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
            if (type == (ushort)EtherType.Vlan || type == 0x88A8) return WireStatus.Unsupported; // stacked tags
        }
        // Values below 0x0600 are IEEE 802.3 length fields, not Ethernet II types.
        if (type < 0x0600) return WireStatus.Unsupported;
        view = new EthernetFrame(frame, headerLength);
        return WireStatus.Ok;
    }
}
