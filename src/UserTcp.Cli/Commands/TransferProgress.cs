using System.Globalization;
using UserTcp.Fast.Time;

namespace UserTcp.Cli.Commands;

/// <summary>A progress bar on a terminal (bytes, rate, ETA), a plain line every few seconds otherwise.</summary>
internal sealed class TransferProgress(long? expected)
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Instant _start = MonotonicClock.Now;
    private Instant _last = MonotonicClock.Now;

    public void Report(long bytes)
    {
        var now = MonotonicClock.Now;
        if (now - _last < (_terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5))) return;
        _last = now;
        Console.Error.Write(Line(bytes, now) + (_terminal ? "\r" : "\n"));
    }

    public void Done(long bytes)
    {
        if (_terminal) Console.Error.WriteLine(Line(bytes, MonotonicClock.Now));
    }

    private string Line(long bytes, Instant now)
    {
        double seconds = Math.Max(1e-9, (now - _start).TotalSeconds);
        double rate = bytes / seconds;
        string of = expected is { } total ? $"/{total / 1048576.0:0.0} MiB {(double)bytes / total,6:P0}" : " MiB";
        string eta = expected is { } t && rate > 0 ? $" ETA {(t - bytes) / rate:0}s" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0,10:0.0}{of} {rate * 8 / 1e9:0.00} Gbit/s{eta}   ");
    }
}
