using System.Buffers.Binary;
using UserTcp.Fast.Native;

namespace UserTcp.Testbed.Frames;

/// <summary>
/// A traffic generator: an AF_PACKET raw socket bound to one interface, writing prepared frames as fast as the kernel
/// takes them. Open it inside <see cref="Namespaces.NetworkNamespace.Enter{T}"/> to send from the namespace's side of a
/// link. Its protocol is 0, so it receives nothing and costs nothing on the receive path.
/// </summary>
internal sealed unsafe class RawFrameSender : IDisposable
{
    private readonly int _fd;

    private RawFrameSender(int fd) => _fd = fd;

    /// <summary>Opens a sender on <paramref name="interfaceName"/> in the calling thread's network namespace.</summary>
    public static RawFrameSender Open(string interfaceName)
    {
        uint index = Libc.IfNameToIndex(interfaceName);
        if (index == 0) throw new InvalidOperationException($"no interface {interfaceName} here: {Libc.Describe(Libc.LastErrno)}");
        int fd = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new InvalidOperationException($"packet socket failed: {Libc.Describe(Libc.LastErrno)}");
        // struct sockaddr_ll: family, protocol (big-endian), ifindex, hatype, pkttype, halen, addr[8].
        Span<byte> address = stackalloc byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(address, Libc.AF_PACKET);
        BinaryPrimitives.WriteInt32LittleEndian(address[4..], (int)index);
        fixed (byte* bytes = address)
        {
            if (Libc.Bind(fd, bytes, address.Length) != 0)
            {
                int errno = Libc.LastErrno;
                Libc.Close(fd);
                throw new InvalidOperationException($"bind to {interfaceName} failed: {Libc.Describe(errno)}");
            }
        }
        return new RawFrameSender(fd);
    }

    /// <summary>Sends one frame, retrying while the kernel reports its queue full (ENOBUFS).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* bytes = frame)
        {
            while (Libc.Send(_fd, bytes, (nuint)frame.Length, 0) < 0)
            {
                int errno = Libc.LastErrno;
                if (errno != Libc.ENOBUFS) throw new InvalidOperationException($"send failed: {Libc.Describe(errno)}");
                Thread.Yield();
            }
        }
    }

    public void Send(ReadOnlySpan<byte> frame, int count)
    {
        for (int i = 0; i < count; i++) Send(frame);
    }

    public void Dispose() => Libc.Close(_fd);
}
