using System.Numerics;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// Delay from a data segment's arrival to the first ACK that covers it, in a fixed log-linear histogram
/// (8 sub-buckets per power of two: ≤ 12.5 % error), so recording allocates nothing. A measurement that wants
/// every value, not buckets, lends it a buffer (<see cref="KeepSamples"/>).
/// </summary>
internal sealed class AckLatencyHistogram
{
    private const int SubBucketBits = 3;
    private const int SubBuckets = 1 << SubBucketBits;
    private readonly long[] _counts = new long[64 * SubBuckets];
    private long[]? _samples;
    private int _sampleCount;

    public long Count { get; private set; }
    public long MaxNanoseconds { get; private set; }
    public long TotalNanoseconds { get; private set; }

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0) nanoseconds = 0;
        _counts[BucketOf(nanoseconds)]++;
        Count++;
        TotalNanoseconds += nanoseconds;
        if (nanoseconds > MaxNanoseconds) MaxNanoseconds = nanoseconds;
        if (_samples is not null && _sampleCount < _samples.Length) _samples[_sampleCount++] = nanoseconds;
    }

    /// <summary>
    /// From now on also keeps every recorded value, in order, in <paramref name="buffer"/> until it is full (the
    /// caller's memory, so recording still allocates nothing); <see cref="Clear"/> empties it again.
    /// </summary>
    public void KeepSamples(long[] buffer)
    {
        _samples = buffer;
        _sampleCount = 0;
    }

    /// <summary>The values recorded since <see cref="KeepSamples"/> or <see cref="Clear"/>, as far as the buffer held them.</summary>
    public ReadOnlySpan<long> Samples => _samples.AsSpan(0, _sampleCount);

    /// <summary>Upper bound of the bucket holding the <paramref name="percentile"/> (0..100) value, in nanoseconds.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0) return 0;
        long rank = (long)Math.Ceiling(percentile / 100.0 * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(UpperBound(i), MaxNanoseconds);
        }
        return MaxNanoseconds;
    }

    public void Add(AckLatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        TotalNanoseconds += other.TotalNanoseconds;
        MaxNanoseconds = Math.Max(MaxNanoseconds, other.MaxNanoseconds);
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = MaxNanoseconds = TotalNanoseconds = 0;
        _sampleCount = 0;
    }

    private static int BucketOf(long value)
    {
        if (value < SubBuckets) return (int)value;
        int magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value); // >= SubBucketBits
        int sub = (int)(value >> (magnitude - SubBucketBits)) & (SubBuckets - 1);
        return (magnitude - SubBucketBits + 1) * SubBuckets + sub;
    }

    private static long UpperBound(int bucket)
    {
        if (bucket < SubBuckets) return bucket;
        int magnitude = bucket / SubBuckets - 1 + SubBucketBits;
        int sub = bucket % SubBuckets;
        return ((long)(SubBuckets + sub + 1) << (magnitude - SubBucketBits)) - 1;
    }
}
