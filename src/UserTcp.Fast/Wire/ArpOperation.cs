namespace UserTcp.Fast.Wire;

public enum ArpOperation : ushort
{
    Request = 1,
    Reply = 2,
}
