using System.Globalization;
using System.Text;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Live;

/// <summary>
/// What <c>usertcp connect</c> does on a live stack, shared with the live benchmark so it measures exactly that: a
/// handshake, an optional request, everything the peer sends until it closes, and a clean close, driven on the calling
/// thread. Messages go to the log in the command's words; the exit code is 0 for a clean exchange, 1 otherwise.
/// </summary>
internal static class ConnectExchange
{
    public static int Run(LiveStack live, Ipv4Address address, ushort port, string? request, TimeSpan timeout, Stream output, TextWriter log)
    {
        var start = MonotonicClock.Now;
        var connection = live.Tcp.Connect(live.Address, address, port, start);
        bool established = live.RunUntil(() => connection.State != TcpState.SynSent, timeout);
        if (connection.State != TcpState.Established)
        {
            log.WriteLine($"usertcp connect: {address}:{port}: {Describe(connection.Error, established)}");
            return 1;
        }
        var handshake = MonotonicClock.Now - start;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connected to {address}:{port} from {live.Address}:{connection.Tuple.LocalPort} in {handshake.TotalMilliseconds:0.000} ms"));

        var toSend = request is null ? [] : Encoding.UTF8.GetBytes(request);
        int sent = 0;
        long received = 0;
        var buffer = new byte[64 * 1024];
        live.Loop.OnTurn = _ =>
        {
            if (sent < toSend.Length && connection.SendSpace > 0) sent += connection.Send(toSend.AsSpan(sent));
            int n;
            while ((n = connection.Receive(buffer)) > 0)
            {
                output.Write(buffer, 0, n);
                received += n;
            }
            if (connection.IsReceiveComplete && connection.State == TcpState.CloseWait) connection.Close();
        };
        var deadline = start + timeout;
        bool closed = live.RunUntil(() => connection.State is TcpState.Closed or TcpState.TimeWait, deadline - MonotonicClock.Now);
        live.Loop.OnTurn = null;
        output.Flush();
        if (connection.Error != TcpError.None)
        {
            log.WriteLine($"usertcp connect: {address}:{port}: {Describe(connection.Error, true)} after {received} bytes");
            return 1;
        }
        if (!closed)
        {
            connection.Abort();
            live.Loop.Turn(MonotonicClock.Now);
            log.WriteLine($"usertcp connect: {address}:{port}: the peer did not close within {timeout.TotalSeconds:0} s ({received} bytes received); aborted");
            return 1;
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"closed cleanly: {sent} bytes sent, {received} bytes received, handshake {handshake.TotalMilliseconds:0.000} ms"));
        return 0;
    }

    private static string Describe(TcpError error, bool answered) => error switch
    {
        TcpError.ConnectionRefused => "connection refused",
        TcpError.HostUnreachable => "host unreachable (no ARP answer)",
        TcpError.ConnectionReset => "connection reset by peer",
        TcpError.TimedOut => "connection timed out",
        TcpError.Aborted => "connection aborted",
        _ => answered ? "connection failed" : "connection timed out",
    };
}
