using System.Runtime.InteropServices;
using UserTcp.Fast.Devices;

namespace UserTcp.Fast.Native;

/// <summary>The few libc calls the live devices make, bound with source-generated marshalling (AOT-safe, no stubs
/// that allocate). Constants are Linux x86-64/arm64 values.</summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EBADFD = 77;
    public const int EMSGSIZE = 90;
    public const int EOPNOTSUPP = 95;
    public const int ENETDOWN = 100;
    public const int EADDRNOTAVAIL = 99;
    public const int ENOBUFS = 105;

    public const int O_RDONLY = 0x0;
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;

    public const int AF_INET = 2;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;

    public const int CLOCK_REALTIME = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct ifreq: a 16-byte interface name followed by a 24-byte union (flags, MTU, data pointer, ...).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct InterfaceRequest
    {
        public const int NameCapacity = 16;
        [FieldOffset(0)]
        public fixed byte Name[NameCapacity];
        /// <summary>ifr_flags (short) and ifr_mtu (int) share the union's first bytes.</summary>
        [FieldOffset(NameCapacity)]
        public int FlagsOrMtu;
        /// <summary>sin_addr of ifr_addr/ifr_netmask (a struct sockaddr_in: family, port, then the address), network byte order.</summary>
        [FieldOffset(NameCapacity + 4)]
        public fixed byte Ipv4Address[4];
        /// <summary>ifr_data: what SIOCETHTOOL reads its command from and writes its answer to.</summary>
        [FieldOffset(NameCapacity)]
        public void* Data;

        public static InterfaceRequest For(string interfaceName)
        {
            if (interfaceName.Length is 0 or >= NameCapacity || interfaceName.AsSpan().IndexOfAnyExceptInRange('!', '~') >= 0 || interfaceName.Contains('/'))
                throw new ArgumentException($"'{interfaceName}' is not a valid interface name (1–15 printable ASCII characters, no '/').", nameof(interfaceName));
            var request = new InterfaceRequest();
            for (int i = 0; i < interfaceName.Length; i++) request.Name[i] = (byte)interfaceName[i];
            return request;
        }

        public readonly string NameText
        {
            get
            {
                fixed (byte* name = Name) return Marshal.PtrToStringAnsi((nint)name) ?? "";
            }
        }
    }

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>eventfd(2): a counter another thread writes to wake a poll(2) on it.</summary>
    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <summary>gettid(2): the kernel's id of the calling thread (its /proc/self/task entry).</summary>
    [LibraryImport(Library, EntryPoint = "gettid")]
    public static partial int GetTid();

    [LibraryImport(Library, EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, TimeSpec* time);

    [LibraryImport(Library, EntryPoint = "writev", SetLastError = true)]
    public static partial nint WriteV(int fd, IoVector* vectors, int count);

    /// <summary>getrandom(2) with no flags: the kernel's cryptographic generator, blocking only until it is first seeded.</summary>
    [LibraryImport(Library, EntryPoint = "getrandom", SetLastError = true)]
    public static partial nint GetRandom(byte* buffer, nuint length, uint flags);

    /// <summary>errno of the last call above, captured by the marshaller before anything else could clobber it.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>Adds O_NONBLOCK to a descriptor's status flags.</summary>
    public static void MakeNonBlocking(int fd, string what)
    {
        int flags = Fcntl(fd, F_GETFL, 0);
        if (flags < 0 || Fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
            throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{what}: cannot make the descriptor non-blocking: {Describe(LastErrno)}");
    }

    public const int RUSAGE_SELF = 0;
    public const int RUSAGE_THREAD = 1;
    public const int RUSAGE_CHILDREN = -1;

    /// <summary>getrusage(2): what the process, the calling thread or the waited-for children used, into a struct rusage the caller lays out.</summary>
    [LibraryImport(Library, EntryPoint = "getrusage", SetLastError = true)]
    public static partial int GetRusage(int who, void* usage);

    public const int SIGINT = 2;

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    // What the testbed and the tests call besides (namespaces, raw frame generators, signals to end processes, guard pages): one binding
    // for the whole project instead of a private copy in each caller.

    public const int AF_UNIX = 1;
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int CLONE_NEWNET = 0x4000_0000;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int PROT_NONE = 0;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const nint MAP_FAILED = -1;

    /// <summary>setns(2): moves the calling thread into the namespace <paramref name="fd"/> refers to.</summary>
    [LibraryImport(Library, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    /// <summary>if_nametoindex(3) in the calling thread's network namespace; 0 when there is no such interface.</summary>
    [LibraryImport(Library, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, int length);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint count, int flags);

    /// <summary>sendmmsg(2): several datagrams in one call; returns how many went (the first refusal's errno only when none did).</summary>
    [LibraryImport(Library, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMultipleMessages(int fd, MultipleMessageHeader* messages, uint count, int flags);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSocketOption(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSocketOption(int fd, int level, int name, void* value, uint* length);

    /// <summary>recvmmsg(2): several datagrams in one call; returns how many came (an errno only when none did).</summary>
    [LibraryImport(Library, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMultipleMessages(int fd, MultipleMessageHeader* messages, uint count, int flags, TimeSpec* timeout);

    public const int SOL_SOCKET = 1;
    public const int SO_RCVBUF = 8;
    /// <summary>SO_RCVBUF past net.core.rmem_max (CAP_NET_ADMIN).</summary>
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_ATTACH_FILTER = 26;
    /// <summary>SO_TIMESTAMPNS_OLD: a struct timespec of CLOCK_REALTIME with each datagram, as control message SCM_TIMESTAMPNS.</summary>
    public const int SO_TIMESTAMPNS = 35;
    public const int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    /// <summary>packet(7): struct tpacket_stats (packets, drops), cleared by each read.</summary>
    public const int PACKET_STATISTICS = 6;
    /// <summary>ETH_P_ALL: every protocol.</summary>
    public const ushort EthernetProtocolAll = 0x0003;

    /// <summary>struct cmsghdr on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ControlMessageHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    public const int SOL_PACKET = 263;
    /// <summary>packet(7): send straight to the driver, past the qdisc layer (Linux 3.14).</summary>
    public const int PACKET_QDISC_BYPASS = 20;
    /// <summary>packet(7): every frame sent or received carries a struct virtio_net_hdr first (Linux 3.7 for sends).</summary>
    public const int PACKET_VNET_HDR = 15;

    /// <summary>struct iovec.</summary>
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct mmsghdr on 64-bit Linux: a struct msghdr (56 bytes; no address: a packet socket is bound to its
    /// interface) and the byte count the kernel fills in.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct MultipleMessageHeader
    {
        [FieldOffset(0)] public void* Name;
        [FieldOffset(8)] public uint NameLength;
        [FieldOffset(16)] public IoVector* Vectors;
        [FieldOffset(24)] public nuint VectorCount;
        [FieldOffset(32)] public void* Control;
        [FieldOffset(40)] public nuint ControlLength;
        [FieldOffset(48)] public int Flags;
        [FieldOffset(56)] public uint Bytes;
    }

    [LibraryImport(Library, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* pair);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int directory, string path, int flags, uint mask, byte* buffer);

    /// <summary>
    /// True when <paramref name="path"/> (symbolic links followed) is a regular file: not a device such as /dev/null, a
    /// pipe or a directory. statx(2), whose buffer has one layout on every architecture: stx_mode is the u16 at offset 28.
    /// </summary>
    public static bool IsRegularFile(string path)
    {
        const int atCurrentDirectory = -100;
        const uint statxType = 0x1;
        const int fileTypeMask = 0xF000, regularFile = 0x8000;
        byte* buffer = stackalloc byte[256];
        if (StatX(atCurrentDirectory, path, 0, statxType, buffer) != 0) return false;
        return (*(ushort*)(buffer + 28) & fileTypeMask) == regularFile;
    }

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint MMap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Library, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int MProtect(nint address, nuint length, int protection);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    public static partial int MUnmap(nint address, nuint length);

    public const int MAP_SHARED = 0x01;
    public const int MAP_POPULATE = 0x8000;

    /// <summary>syscall(2) for the calls glibc has no wrapper for: the io_uring ones, numbered alike on every architecture
    /// (the asm-generic table's 425 and 426, which x86-64 shares). Fixed arguments: the variadic wrapper takes them from
    /// the same registers and stack slots.</summary>
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long first, long second, long third, long fourth, long fifth, long sixth);

    public static int IoUringSetup(uint entries, void* parameters) => (int)Syscall(425, entries, (long)parameters, 0, 0, 0, 0);

    public static int IoUringEnter(int ring, uint toSubmit, uint minComplete, uint flags) =>
        (int)Syscall(426, ring, toSubmit, minComplete, flags, 0, 0);
}
