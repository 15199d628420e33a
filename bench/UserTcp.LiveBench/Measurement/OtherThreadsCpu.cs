using UserTcp.Fast.Native;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// CPU time of this process's other threads (not the calling one, which runs the poll loop), summed by thread name
/// (/proc/self/task/*/stat: the runtime names its threads, ".NET Tiered Com", ".NET SigHandler" …). The kernel counts
/// it in clock ticks (10 ms), so it says where the rest of the process CPU goes, not to the microsecond.
/// </summary>
internal static class OtherThreadsCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static Dictionary<string, double> Now()
    {
        string self = Libc.GetTid().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var byName = new Dictionary<string, double>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            if (Path.GetFileName(task) == self) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            // "tid (name) state ppid …": the name may hold spaces, so fields are counted after its closing parenthesis;
            // utime and stime are fields 14 and 15, the 12th and 13th after it.
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            string name = stat[(open + 1)..close];
            string[] fields = stat[(close + 2)..].Split(' ');
            double seconds = (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) +
                              long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
            byName[name] = byName.GetValueOrDefault(name) + seconds;
        }
        return byName;
    }

    public static Dictionary<string, double> Since(Dictionary<string, double> before) =>
        Now().Select(kv => (kv.Key, Seconds: kv.Value - before.GetValueOrDefault(kv.Key)))
             .Where(t => t.Seconds > 0)
             .ToDictionary(t => t.Key, t => t.Seconds);
}
