using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using UserTcp.Fast.Api;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Roles;

// The soak's stack: one long-lived NetworkStack used as an application uses it, with downloaders, a slow reader and an
// aborting client running at once for the whole run, sampled at a fixed interval.
internal static partial class StackRoles
{
    public const string SamplePrefix = "sample ";
    private const int Downloaders = 2;
    private const int FailuresKept = 20;
    /// <summary>The slow reader's pace: 256 KiB/s, in reads of 16 KiB (its file takes minutes, its window closes and opens).</summary>
    private const int SlowReadBytes = 16 * 1024;
    private static readonly TimeSpan SlowReadPause = TimeSpan.FromMilliseconds(62.5);
    /// <summary>No byte for this long fails a download: the slowest link the soak sets (5 Mbit/s at 3 % loss) moves far more.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Runs <c>--minutes</c> minutes and says <c>sample {json}</c> every <c>--sample-seconds</c> seconds, then
    /// <c>result {json}</c>: <see cref="Downloaders"/> clients download random files of the lab's nginx back to back and
    /// check each byte-exact (length and SHA-256 against the lab's record), a slow reader downloads the largest file at
    /// 256 KiB/s and checks it too, and an aborting client reads a random part of a file, then resets the connection
    /// (<see cref="TcpStream.Abort"/>) or disposes it with data unread, alternately.
    /// </summary>
    private static int SoakStack(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        var duration = TimeSpan.FromMinutes(arguments.RequiredLong("--minutes"));
        var interval = TimeSpan.FromSeconds(arguments.RequiredLong("--sample-seconds"));
        var files = Lab.Status(lab).Files.OrderBy(f => f.Value.Bytes).Select(f => (Path: "/" + f.Key, f.Value.Bytes, f.Value.Sha256)).ToArray();
        Require(files.Length >= 2, "the soak lab needs at least two files");
        var setup = StackSetup.ForLab(lab);
        using var stack = NetworkStack.Start(setup.ToOptions(DeviceFactory.Open(setup)));
        var soak = new SoakClients(stack, files);
        SayReady();
        Await(Go);

        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Downloaders).Select(i => Task.Run(() => soak.DownloadLoop(new Random(i), stop.Token)))
            .Append(Task.Run(() => soak.SlowReadLoop(stop.Token)))
            .Append(Task.Run(() => soak.AbortLoop(new Random(1000), stop.Token)))
            .ToArray();
        var samples = new List<SoakSample>();
        int count = (int)(duration / interval);
        for (int i = 1; i <= count; i++)
        {
            var wait = interval * i - clock.Elapsed;
            if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            var sample = soak.Sample(clock.Elapsed);
            samples.Add(sample);
            Say(SamplePrefix + JsonSerializer.Serialize(sample, SoakJson.Default.SoakSample));
        }
        stop.Cancel();
        Task.WaitAll(clients);
        Say(ResultPrefix + JsonSerializer.Serialize(new SoakRun(samples, soak.Failures, files.Select(f => f.Path.TrimStart('/')).ToList()), SoakJson.Default.SoakRun));
        Await(Exit);
        return 0;
    }

    /// <summary>The soak's clients and their totals (updated with <see cref="Interlocked"/>: they run on the thread pool).</summary>
    private sealed class SoakClients(NetworkStack stack, (string Path, long Bytes, string Sha256)[] files)
    {
        private readonly List<string> _failures = new();
        private long _downloads, _failed, _slowReads, _aborted, _bytes;

        public IReadOnlyList<string> Failures
        {
            get { lock (_failures) return _failures.ToList(); }
        }

        public async Task DownloadLoop(Random random, CancellationToken stop)
        {
            // The largest file is the slow reader's; the others at random, small ones as often as large ones.
            while (!stop.IsCancellationRequested)
                await Checked(files[random.Next(files.Length - 1)], "download", () => Interlocked.Increment(ref _downloads), stop, pause: TimeSpan.Zero).ConfigureAwait(false);
        }

        public async Task SlowReadLoop(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
                await Checked(files[^1], "slow read", () => Interlocked.Increment(ref _slowReads), stop, SlowReadPause).ConfigureAwait(false);
        }

        public async Task AbortLoop(Random random, CancellationToken stop)
        {
            var buffer = new byte[SlowReadBytes];
            for (long round = 0; !stop.IsCancellationRequested; round++)
            {
                var (path, bytes, _) = files[random.Next(files.Length)];
                long part = random.NextInt64(1, Math.Max(2, bytes / 2));
                try
                {
                    var stream = await stack.ConnectAsync(Server, HttpPort, stop).ConfigureAwait(false);
                    try
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(HttpGet(path)), stop).ConfigureAwait(false);
                        for (long read = 0; read < part;)
                        {
                            int n = await ReadWithin(stream, buffer, stop).ConfigureAwait(false);
                            if (n == 0) break;
                            read += n;
                        }
                        if (round % 2 == 0) stream.Abort(); // else Dispose with bytes unread: a reset too (RFC 9293 §3.10.4)
                    }
                    finally
                    {
                        await stream.DisposeAsync().ConfigureAwait(false);
                    }
                    Interlocked.Increment(ref _aborted);
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    Fail($"abort {path}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        /// <summary>One GET of <paramref name="file"/>, its body checked against the lab's length and SHA-256; counted
        /// by <paramref name="done"/> when right, as failed otherwise. A download cut short by the end of the run counts as neither.</summary>
        private async Task Checked((string Path, long Bytes, string Sha256) file, string what, Action done, CancellationToken stop, TimeSpan pause)
        {
            try
            {
                await using var stream = await stack.ConnectAsync(Server, HttpPort, stop).ConfigureAwait(false);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(HttpGet(file.Path)), stop).ConfigureAwait(false);
                var (length, sha256) = await ReadBody(stream, pause, stop).ConfigureAwait(false);
                if (length == file.Bytes && sha256 == file.Sha256) done();
                else Fail($"{what} {file.Path}: {length} bytes with SHA-256 {sha256}, expected {file.Bytes} bytes with {file.Sha256}");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Fail($"{what} {file.Path}: {e.GetType().Name}: {e.Message}");
            }
        }

        /// <summary>Reads an HTTP/1.0 response to its end: the body's length and SHA-256 (lowercase hex), the header checked for 200.</summary>
        private async Task<(long Length, string Sha256)> ReadBody(TcpStream stream, TimeSpan pause, CancellationToken stop)
        {
            var buffer = new byte[SlowReadBytes];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            List<byte>? header = new();
            long length = 0;
            int n;
            while ((n = await ReadWithin(stream, buffer, stop).ConfigureAwait(false)) > 0)
            {
                Interlocked.Add(ref _bytes, n);
                var chunk = buffer.AsSpan(0, n);
                if (header is not null)
                {
                    header.AddRange(chunk);
                    var received = CollectionsMarshal.AsSpan(header);
                    int end = received.IndexOf("\r\n\r\n"u8);
                    if (end < 0) continue;
                    string status = Encoding.ASCII.GetString(received[..received.IndexOf("\r\n"u8)]);
                    if (!status.Contains(" 200 ", StringComparison.Ordinal)) throw new BenchException($"answered '{status}'");
                    chunk = received[(end + 4)..].ToArray();
                    header = null;
                }
                hash.AppendData(chunk);
                length += chunk.Length;
                if (pause > TimeSpan.Zero) await Task.Delay(pause, stop).ConfigureAwait(false);
            }
            if (header is not null) throw new BenchException($"closed after {header.Count} bytes of header");
            return (length, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }

        private static async Task<int> ReadWithin(TcpStream stream, byte[] buffer, CancellationToken stop)
        {
            using var stalled = CancellationTokenSource.CreateLinkedTokenSource(stop);
            stalled.CancelAfter(StallTimeout);
            try
            {
                return await stream.ReadAsync(buffer, stalled.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                throw new BenchException($"no byte for {StallTimeout.TotalSeconds:0} s");
            }
        }

        private void Fail(string failure)
        {
            Interlocked.Increment(ref _failed);
            lock (_failures) if (_failures.Count < FailuresKept) _failures.Add(failure);
        }

        public SoakSample Sample(TimeSpan elapsed)
        {
            var (connections, timeWait, resetsSent) = stack.InvokeAsync(loop =>
                (loop.Interface.Tcp.Connections.Count(), loop.Interface.Tcp.TimeWaitCount, loop.Interface.Tcp.Stats.ResetsSent)).Result;
            string status = File.ReadAllText("/proc/self/status");
            return new SoakSample(elapsed.TotalSeconds, StatusField(status, "VmRSS:") * 1024, Directory.GetFileSystemEntries("/proc/self/fd").Length,
                GC.GetTotalMemory(forceFullCollection: false), (int)StatusField(status, "Threads:"),
                Interlocked.Read(ref _downloads), Interlocked.Read(ref _failed), Interlocked.Read(ref _slowReads), Interlocked.Read(ref _aborted),
                Interlocked.Read(ref _bytes), resetsSent, connections, timeWait);
        }

        /// <summary>The number after <paramref name="name"/> in /proc/self/status (VmRSS in KiB).</summary>
        private static long StatusField(string status, string name)
        {
            int at = status.IndexOf(name, StringComparison.Ordinal);
            string rest = status[(at + name.Length)..status.IndexOf('\n', at)].Trim();
            return long.Parse(rest.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
