using System.Globalization;
using System.Runtime.InteropServices;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>Three pages from mmap: an inaccessible one, a read-write data page, and another inaccessible one.</summary>
internal sealed unsafe partial class GuardedPage : IDisposable
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;
    private readonly nint _mapping;

    public GuardedPage()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Guard pages are made with Linux mmap and mprotect.");
        PageSize = Environment.SystemPageSize;
        _mapping = mmap(0, (nuint)(3 * PageSize), ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (_mapping == -1) throw new InvalidOperationException($"mmap failed, errno {Marshal.GetLastPInvokeError()}.");
        if (mprotect(GuardBefore, (nuint)PageSize, ProtNone) != 0 || mprotect(GuardAfter, (nuint)PageSize, ProtNone) != 0)
            throw new InvalidOperationException($"mprotect failed, errno {Marshal.GetLastPInvokeError()}.");
    }

    public int PageSize { get; }
    public nint GuardBefore => _mapping;
    public nint Data => _mapping + PageSize;
    public nint GuardAfter => _mapping + 2 * PageSize;

    /// <summary>Copies <paramref name="source"/> so that its last byte is the last one before the trailing guard page.</summary>
    public ReadOnlySpan<byte> AtEnd(ReadOnlySpan<byte> source) => Place(source, GuardAfter - source.Length);

    /// <summary>Copies <paramref name="source"/> so that its first byte is the first one after the leading guard page.</summary>
    public ReadOnlySpan<byte> AtStart(ReadOnlySpan<byte> source) => Place(source, Data);

    private ReadOnlySpan<byte> Place(ReadOnlySpan<byte> source, nint address)
    {
        if (source.Length > PageSize) throw new ArgumentException($"At most one page ({PageSize} bytes) fits between the guards.", nameof(source));
        var destination = new Span<byte>((void*)address, source.Length);
        source.CopyTo(destination);
        return destination;
    }

    public void Dispose() => munmap(_mapping, (nuint)(3 * PageSize));

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);
}
