namespace UserTcp.Fast.Tcp.Congestion;

public enum CongestionAlgorithm
{
    NewReno,
    Cubic,
}
