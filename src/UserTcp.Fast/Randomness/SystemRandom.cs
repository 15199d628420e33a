using UserTcp.Fast.Native;

namespace UserTcp.Fast.Randomness;

/// <summary>
/// Secrets and unguessable draws (ISN and SYN-cookie keys, DNS ids and ports) from the kernel's generator, getrandom(2),
/// called directly: .NET's RandomNumberGenerator would load OpenSSL into every process for it (libssl and libcrypto, about
/// 2.7 MiB resident and milliseconds of start-up), which a plain http download otherwise never needs.
/// </summary>
internal static class SystemRandom
{
    public static unsafe void Fill(Span<byte> destination)
    {
        fixed (byte* start = destination)
        {
            int filled = 0;
            while (filled < destination.Length)
            {
                // Requests above 256 bytes may return short, and a signal may interrupt one: go on from where it stopped.
                nint got = Libc.GetRandom(start + filled, (nuint)(destination.Length - filled), 0);
                if (got > 0) filled += (int)got;
                else if (got < 0 && Libc.LastErrno != Libc.EINTR)
                    throw new InvalidOperationException($"getrandom(2) failed: {Libc.Describe(Libc.LastErrno)}");
            }
        }
    }

    public static ulong NextUInt64()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    /// <summary>Uniform in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>): draws past the largest whole
    /// multiple of the range are redrawn, so no value is favoured.</summary>
    public static int NextInt32(int minInclusive, int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(minInclusive, maxExclusive);
        ulong range = (ulong)((long)maxExclusive - minInclusive);
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong draw;
        do draw = NextUInt64(); while (draw >= limit);
        return (int)((long)minInclusive + (long)(draw % range));
    }
}
