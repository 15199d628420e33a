using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using UserTcp.Cli.Live;
using UserTcp.Fast.Api;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Commands;

/// <summary>
/// What <c>get</c> and <c>put</c> share around one HTTP exchange over the stack: the stack started on the chosen device,
/// an HttpClient whose SocketsHttpHandler connects through the stack's TcpStream, the failures a user should read as one
/// line, and the summary line.
/// </summary>
internal static class HttpTransfer
{
    /// <summary>Starts the stack for <paramref name="setup"/>, runs <paramref name="exchange"/> with an HttpClient over it,
    /// prints the stack's counters with --stats, and returns the exchange's exit code.</summary>
    public static int Run(StackSetup setup, Task<TlsTrust> trust, Func<NetworkStack, HttpClient, Task<int>> exchange) =>
        StackCommand.RunOnPollThread(setup, (network, _) =>
        {
            using var handler = network.CreateHttpHandler();
            handler.SslOptions = trust.GetAwaiter().GetResult().Options();
            using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            // With DHCP the lease comes while the client above is made; waiting here keeps --timeout (an idle timeout)
            // from cutting short RFC 2131's retransmissions: no lease is its own clear error (exit 1).
            network.WaitForLeaseAsync(CancellationToken.None).GetAwaiter().GetResult();
            return exchange(network, client).GetAwaiter().GetResult();
        }, overlapLease: true); // the client's set-up runs while DHCP negotiates; its connect waits for the lease

    /// <summary>The failures of an exchange that end it with one line and exit code 1, not a stack trace.</summary>
    public static bool IsTransferFailure(Exception e) =>
        e is HttpRequestException or SocketException or IOException or OperationCanceledException or AuthenticationException;

    /// <summary>One line saying why an exchange failed: a timeout, a connection's fate (refused, reset, …), a TLS refusal, or the message.</summary>
    public static string Describe(Exception e, TimeSpan idleTimeout)
    {
        if (e is OperationCanceledException) return $"no progress for {idleTimeout.TotalSeconds:0.###} s";
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            // The stack's resolver explains itself in its message; a connection failure carries only its code.
            if (inner is SocketException socket)
                return socket.Message != new SocketException((int)socket.SocketErrorCode).Message ? socket.Message : socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostUnreachable => "host unreachable (no ARP answer)",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.ConnectionReset => "connection reset by peer",
                    _ => socket.Message,
                };
            if (inner is AuthenticationException tls)
                return $"TLS handshake failed: {tls.Message} (trust the server's certificate with --cacert FILE, or skip the check with --insecure)";
        }
        return e.Message;
    }

    /// <summary>" after N of M bytes" / " after N bytes" for a failure mid-body; empty before the first byte.</summary>
    public static string Progress(long bytes, long? expected) =>
        bytes == 0 ? "" : expected is { } length ? $" after {bytes} of {length} bytes" : $" after {bytes} bytes";

    /// <summary>
    /// The summary line: "URL: N bytes[ detail] in S s, G Gbit/s; ACKs sent A, retransmissions R, frames dropped D[; tail]"
    /// (the comparison harness reads the bytes and seconds of it).
    /// </summary>
    public static async Task<string> SummaryAsync(NetworkStack network, Uri url, long bytes, string detail, TimeSpan elapsed, string tail)
    {
        var (drops, acks, retransmissions) = await network.InvokeAsync(loop =>
            (loop.Interface.Stats.TotalDrops, loop.Interface.Tcp.TotalConnectionStats().PureAcksSent, loop.Interface.Tcp.TotalConnectionStats().Retransmissions)).ConfigureAwait(false);
        double seconds = elapsed.TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{url}: {bytes} bytes{detail} in {seconds:0.000} s, {bytes * 8 / seconds / 1e9:0.000} Gbit/s; ACKs sent {acks}, retransmissions {retransmissions}, frames dropped {drops}{tail}");
    }
}
