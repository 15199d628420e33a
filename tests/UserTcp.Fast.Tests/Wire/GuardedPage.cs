using System.Runtime.InteropServices;
using UserTcp.Fast.Native;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>Three pages from mmap: an inaccessible one, a read-write data page, and another inaccessible one.</summary>
internal sealed unsafe class GuardedPage : IDisposable
{
    private readonly nint _mapping;

    public GuardedPage()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Guard pages are made with Linux mmap and mprotect.");
        PageSize = Environment.SystemPageSize;
        _mapping = Libc.MMap(0, (nuint)(3 * PageSize), Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (_mapping == Libc.MAP_FAILED) throw new InvalidOperationException($"mmap failed, errno {Marshal.GetLastPInvokeError()}.");
        if (Libc.MProtect(GuardBefore, (nuint)PageSize, Libc.PROT_NONE) != 0 || Libc.MProtect(GuardAfter, (nuint)PageSize, Libc.PROT_NONE) != 0)
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

    public void Dispose() => Libc.MUnmap(_mapping, (nuint)(3 * PageSize));
}
