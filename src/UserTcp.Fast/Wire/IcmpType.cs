namespace UserTcp.Fast.Wire;

public enum IcmpType : byte
{
    EchoReply = 0,
    DestinationUnreachable = 3,
    EchoRequest = 8,
    TimeExceeded = 11,
}
