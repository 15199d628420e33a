using UserTcp.Fast.Native;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>
/// A non-blocking AF_UNIX datagram socket pair standing in for a device's descriptor: its receive queue holds only a
/// handful of datagrams, so EAGAIN comes on demand, and each write stays one readable message. Frames carry their index
/// in their first four bytes, so a test reads back which frames arrived and in what order.
/// </summary>
internal sealed unsafe class DatagramPair : IDisposable
{
    public DatagramPair()
    {
        int* pair = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, pair));
        WriteEnd = pair[0];
        ReadEnd = pair[1];
    }

    public int WriteEnd { get; }
    public int ReadEnd { get; }

    /// <summary>A 64-byte frame whose first four bytes are <paramref name="index"/>.</summary>
    public static byte[] Frame(int index)
    {
        var frame = new byte[64];
        BitConverter.TryWriteBytes(frame, index);
        return frame;
    }

    /// <summary>The indexes of the frames waiting at the read end, in arrival order; the queue is empty afterwards.</summary>
    public List<int> Drain()
    {
        var frames = new List<int>();
        var buffer = new byte[2048];
        fixed (byte* bytes = buffer)
        {
            while (Libc.Read(ReadEnd, bytes, (nuint)buffer.Length) > 0) frames.Add(BitConverter.ToInt32(buffer));
        }
        return frames;
    }

    /// <summary>The datagrams waiting at the read end, whole, in arrival order; the queue is empty afterwards.</summary>
    public List<byte[]> DrainDatagrams()
    {
        var datagrams = new List<byte[]>();
        var buffer = new byte[1 << 17];
        fixed (byte* bytes = buffer)
        {
            nint length;
            while ((length = Libc.Read(ReadEnd, bytes, (nuint)buffer.Length)) > 0) datagrams.Add(buffer.AsSpan(0, (int)length).ToArray());
        }
        return datagrams;
    }

    public void Dispose()
    {
        Libc.Close(WriteEnd);
        Libc.Close(ReadEnd);
    }
}
