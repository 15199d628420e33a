using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace UserTcp.Live.Tests.Support;

/// <summary>
/// A traffic generator: an AF_PACKET raw socket bound to one interface, writing prepared frames as fast as the kernel
/// takes them. Open it inside <see cref="NetworkNamespace.Enter{T}"/> to send from the namespace's side of a link. Its
/// protocol is 0, so it receives nothing and costs nothing on the receive path.
/// </summary>
internal sealed unsafe partial class RawFrameSender : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const int SockCloseOnExec = 0x80000;
    private const int ENOBUFS = 105;
    private readonly int _fd;

    private RawFrameSender(int fd) => _fd = fd;

    /// <summary>Opens a sender on <paramref name="interfaceName"/> in the calling thread's network namespace.</summary>
    public static RawFrameSender Open(string interfaceName)
    {
        uint index = if_nametoindex(interfaceName);
        if (index == 0) throw new InvalidOperationException($"no interface {interfaceName} here: errno {Marshal.GetLastPInvokeError()}");
        int fd = socket(AfPacket, SockRaw | SockCloseOnExec, 0);
        if (fd < 0) throw new InvalidOperationException($"packet socket failed: errno {Marshal.GetLastPInvokeError()}");
        // struct sockaddr_ll: family, protocol (big-endian), ifindex, hatype, pkttype, halen, addr[8].
        Span<byte> address = stackalloc byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(address, AfPacket);
        BinaryPrimitives.WriteInt32LittleEndian(address[4..], (int)index);
        fixed (byte* bytes = address)
        {
            if (bind(fd, bytes, address.Length) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                close(fd);
                throw new InvalidOperationException($"bind to {interfaceName} failed: errno {errno}");
            }
        }
        return new RawFrameSender(fd);
    }

    /// <summary>Sends one frame, retrying while the kernel reports its queue full (ENOBUFS).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* bytes = frame)
        {
            while (send(_fd, bytes, (nuint)frame.Length, 0) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != ENOBUFS) throw new InvalidOperationException($"send failed: errno {errno}");
                Thread.Yield();
            }
        }
    }

    public void Send(ReadOnlySpan<byte> frame, int count)
    {
        for (int i = 0; i < count; i++) Send(frame);
    }

    public void Dispose() => close(_fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint if_nametoindex(string name);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
