namespace UserTcp.Fast.Native;

/// <summary>
/// Many read(2)s from one descriptor for one system call: a descriptor that hands over one message per read (a TAP: one
/// frame) has no recvmmsg(2), so an io_uring submits a READ per slot of a pinned slab and io_uring_enter(2) runs them
/// all. Each read is RWF_NOWAIT: one that finds nothing waiting completes at once with EAGAIN instead of being parked,
/// so every read submitted has completed when io_uring_enter returns, in the order submitted, and nothing is ever in
/// flight between calls (no slot is written behind the caller's back, disposing needs no cancellation).
/// </summary>
/// <remarks>
/// Raw system calls on the kernel's ABI (include/uapi/linux/io_uring.h): io_uring_setup, one mmap of both rings
/// (IORING_FEAT_SINGLE_MMAP, Linux 5.4) and one of the submission entries. The descriptor is not registered with the ring
/// (IOSQE_FIXED_FILE would save a lookup per read): a registered file is held by the ring, whose teardown the kernel
/// finishes in a worker after close(2), so a TAP would outlive its process for a moment (a created one still listed, a
/// persistent one busy for the next process to attach). The ring's head and tail words are shared with the kernel: the
/// tail we publish is a release store, the tail we read an acquire load (as liburing does). Not thread-safe: one poll
/// thread owns it.
/// </remarks>
internal sealed unsafe class IoUringBatchReader : IDisposable
{
    private const byte OpRead = 22;
    private const uint ReadNoWait = 0x8; // RWF_NOWAIT
    private const uint EnterGetEvents = 1;
    private const uint FeatureSingleMmap = 1;
    private const long SubmissionEntriesOffset = 0x1000_0000;
    private const int SubmissionEntrySize = 64, CompletionEntrySize = 16, ParametersSize = 120;

    private readonly int _ring, _descriptor;
    private readonly nint _rings, _entries;
    private readonly nuint _ringsSize, _entriesSize;
    private readonly uint* _submissionTail, _submissionArray, _completionHead, _completionTail;
    private readonly uint _submissionMask, _completionMask;
    private readonly byte* _submissionEntries, _completionEntries;
    private readonly byte[] _slab;
    private readonly byte* _slabStart;
    private readonly int[] _completedSlot, _completedResult;
    private bool _disposed;

    private IoUringBatchReader(int ring, int descriptor, nint rings, nuint ringsSize, nint entries, nuint entriesSize, byte* parameters, int slots, int slotSize)
    {
        _ring = ring;
        _descriptor = descriptor;
        _rings = rings;
        _ringsSize = ringsSize;
        _entries = entries;
        _entriesSize = entriesSize;
        byte* ringBase = (byte*)rings;
        _submissionTail = (uint*)(ringBase + *(uint*)(parameters + 44));
        _submissionMask = *(uint*)(ringBase + *(uint*)(parameters + 48));
        _submissionArray = (uint*)(ringBase + *(uint*)(parameters + 64));
        _completionHead = (uint*)(ringBase + *(uint*)(parameters + 80));
        _completionTail = (uint*)(ringBase + *(uint*)(parameters + 84));
        _completionMask = *(uint*)(ringBase + *(uint*)(parameters + 88));
        _completionEntries = ringBase + *(uint*)(parameters + 100);
        _submissionEntries = (byte*)entries;
        Slots = slots;
        SlotSize = slotSize;
        _slab = GC.AllocateArray<byte>(checked(slots * slotSize), pinned: true);
        fixed (byte* start = _slab) _slabStart = start;
        _completedSlot = new int[slots];
        _completedResult = new int[slots];
    }

    /// <summary>Most reads one <see cref="Read"/> submits.</summary>
    public int Slots { get; }
    /// <summary>Bytes each read may take: a longer message is cut, as read(2) cuts it.</summary>
    public int SlotSize { get; }

    /// <summary>
    /// A reader of <paramref name="descriptor"/> (which it does not own), or null with <paramref name="why"/> when this
    /// kernel has no io_uring for us: not built in (ENOSYS), switched off (kernel.io_uring_disabled: EPERM), or refused
    /// by a container's seccomp filter. The caller then reads one message per read(2).
    /// </summary>
    public static IoUringBatchReader? TryCreate(int descriptor, int slots, int slotSize, out string? why)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        byte* parameters = stackalloc byte[ParametersSize];
        new Span<byte>(parameters, ParametersSize).Clear();
        int ring = Libc.IoUringSetup((uint)slots, parameters);
        if (ring < 0)
        {
            why = $"io_uring_setup: {Libc.Describe(Libc.LastErrno)}";
            return null;
        }
        nint rings = Libc.MAP_FAILED, entries = Libc.MAP_FAILED;
        nuint ringsSize = 0, entriesSize = 0;
        try
        {
            uint submissionEntries = *(uint*)parameters, completionEntries = *(uint*)(parameters + 4);
            if ((*(uint*)(parameters + 20) & FeatureSingleMmap) == 0)
            {
                why = "io_uring without IORING_FEAT_SINGLE_MMAP (Linux before 5.4)";
                return null;
            }
            ringsSize = Math.Max(*(uint*)(parameters + 64) + submissionEntries * sizeof(uint),
                                 *(uint*)(parameters + 100) + completionEntries * CompletionEntrySize);
            rings = Libc.MMap(0, ringsSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, ring, 0);
            if (rings == Libc.MAP_FAILED)
            {
                why = $"mmap of the io_uring rings: {Libc.Describe(Libc.LastErrno)}";
                return null;
            }
            entriesSize = submissionEntries * SubmissionEntrySize;
            entries = Libc.MMap(0, entriesSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, ring,
                                (nint)SubmissionEntriesOffset);
            if (entries == Libc.MAP_FAILED)
            {
                why = $"mmap of the io_uring entries: {Libc.Describe(Libc.LastErrno)}";
                return null;
            }
            why = null;
            var reader = new IoUringBatchReader(ring, descriptor, rings, ringsSize, entries, entriesSize, parameters, slots, slotSize);
            rings = entries = Libc.MAP_FAILED; // the reader owns them now
            ring = -1;
            return reader;
        }
        finally
        {
            if (entries != Libc.MAP_FAILED) Libc.MUnmap(entries, entriesSize);
            if (rings != Libc.MAP_FAILED) Libc.MUnmap(rings, ringsSize);
            if (ring >= 0) Libc.Close(ring);
        }
    }

    /// <summary>Slot <paramref name="slot"/>'s bytes: what the read that completed into it wrote, until the next <see cref="Read"/>.</summary>
    public byte* Slot(int slot) => _slabStart + (nint)slot * SlotSize;

    /// <summary>
    /// Submits <paramref name="count"/> reads (at most <see cref="Slots"/>), slot i for the i-th, and returns how many
    /// completed (all of them: none can wait); <see cref="Completion"/> tells each one's slot and result in the order
    /// they ran. A failure of io_uring_enter itself other than EINTR throws.
    /// </summary>
    public int Read(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Slots, nameof(count));
        uint tail = *_submissionTail; // only this thread writes it
        for (int i = 0; i < count; i++)
        {
            uint index = (tail + (uint)i) & _submissionMask;
            byte* entry = _submissionEntries + index * SubmissionEntrySize;
            new Span<byte>(entry, SubmissionEntrySize).Clear();
            entry[0] = OpRead;
            *(int*)(entry + 4) = _descriptor;
            *(ulong*)(entry + 16) = (ulong)Slot(i);
            *(uint*)(entry + 24) = (uint)SlotSize;
            *(uint*)(entry + 28) = ReadNoWait;
            *(ulong*)(entry + 32) = (ulong)i;
            _submissionArray[index] = index;
        }
        Volatile.Write(ref *_submissionTail, tail + (uint)count);
        uint unsubmitted = (uint)count;
        while (unsubmitted > 0)
        {
            int submitted = Libc.IoUringEnter(_ring, unsubmitted, unsubmitted, EnterGetEvents);
            if (submitted < 0)
            {
                int errno = Libc.LastErrno;
                if (errno == Libc.EINTR) continue;
                throw new IOException($"io_uring_enter: {Libc.Describe(errno)}");
            }
            unsubmitted -= (uint)submitted;
        }
        uint head = *_completionHead, completionTail = Volatile.Read(ref *_completionTail);
        int completed = 0;
        for (; head != completionTail && completed < Slots; head++, completed++)
        {
            byte* completion = _completionEntries + (head & _completionMask) * CompletionEntrySize;
            _completedSlot[completed] = (int)*(ulong*)completion;
            _completedResult[completed] = *(int*)(completion + 8);
        }
        Volatile.Write(ref *_completionHead, head);
        return completed;
    }

    /// <summary>The <paramref name="index"/>-th completion of the last <see cref="Read"/>: its slot and its result, the
    /// bytes read or a negated errno (-EAGAIN: nothing was waiting).</summary>
    public (int Slot, int Result) Completion(int index) => (_completedSlot[index], _completedResult[index]);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Libc.MUnmap(_entries, _entriesSize);
        Libc.MUnmap(_rings, _ringsSize);
        Libc.Close(_ring);
    }
}
