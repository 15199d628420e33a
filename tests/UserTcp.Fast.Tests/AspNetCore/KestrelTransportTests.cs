using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.AspNetCore;

/// <summary>
/// Kestrel apps through the UserTcp transport, a second stack as the client (<see cref="KestrelLab"/>). They hold four
/// threads busy each and wait on the thread pool, so they run alone.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class KestrelTransportTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60); // generous: other tests and helpers share two cores

    [Fact]
    public async Task A_minimal_api_endpoint_answers_twice_on_one_kept_alive_connection()
    {
        await using var lab = await KestrelLab.StartAsync(app =>
            app.MapGet("/hello/{name}", (string name, HttpContext context) =>
                $"hello {name} from {context.Connection.LocalIpAddress}:{context.Connection.LocalPort} to {context.Connection.RemoteIpAddress}"));

        string first = await lab.Http.GetStringAsync("hello/stack");
        string second = await lab.Http.GetStringAsync("hello/again");

        Assert.Equal($"hello stack from {KestrelLab.ServerAddress}:{KestrelLab.Port} to {KestrelLab.ClientAddress}", first);
        Assert.StartsWith("hello again", second);
        Assert.Single(lab.Connections); // keep-alive: the second request used the first connection
    }

    [Fact]
    public async Task A_streamed_response_arrives_whole_and_in_order()
    {
        const int chunks = 64, chunkBytes = 64 * 1024;
        await using var lab = await KestrelLab.StartAsync(app => app.MapGet("/stream", async (HttpContext context) =>
        {
            var chunk = new byte[chunkBytes];
            for (int i = 0; i < chunks; i++)
            {
                Array.Fill(chunk, (byte)i);
                await context.Response.Body.WriteAsync(chunk);
                await context.Response.Body.FlushAsync();
            }
        }));

        using var response = await lab.Http.GetAsync("stream", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[10_000];
        long offset = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            for (int i = 0; i < read; i++)
                Assert.True(buffer[i] == (byte)((offset + i) / chunkBytes), $"byte {offset + i} is {buffer[i]}");
            offset += read;
        }
        Assert.Equal((long)chunks * chunkBytes, offset);
    }

    [Fact]
    public async Task A_256_MiB_request_body_arrives_byte_exact()
    {
        const int blocks = 256;
        var block = new byte[1 << 20];
        new Random(12).NextBytes(block);
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < blocks; i++) expected.AppendData(block);
        await using var lab = await KestrelLab.StartAsync(app => app.MapPost("/sha256", async (HttpRequest request) =>
        {
            using var sha = SHA256.Create();
            return Convert.ToHexString(await sha.ComputeHashAsync(request.Body));
        }));

        using var response = await lab.Http.PostAsync("sha256", new RepeatedBlockContent(block, blocks));

        Assert.Equal(Convert.ToHexString(expected.GetHashAndReset()), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_client_that_resets_mid_body_fails_the_read_and_leaves_no_connection()
    {
        var failure = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var lab = await KestrelLab.StartAsync(app =>
        {
            app.MapPost("/drain", async (HttpRequest request) =>
            {
                var buffer = new byte[64 * 1024];
                try
                {
                    while (await request.Body.ReadAsync(buffer) > 0) reading.TrySetResult();
                    failure.TrySetResult(null);
                }
                catch (Exception e)
                {
                    failure.TrySetResult(e);
                }
                return "drained";
            });
            app.MapGet("/ok", () => "ok");
        });

        var stream = await lab.Client.ConnectAsync(KestrelLab.ServerAddress, KestrelLab.Port);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /drain HTTP/1.1\r\nHost: lab\r\nContent-Length: {100 << 20}\r\n\r\n"));
        await stream.WriteAsync(new byte[1 << 20]);
        await reading.Task.WaitAsync(Bound);
        stream.Abort(); // RST mid-body

        var error = await failure.Task.WaitAsync(Bound);
        Assert.IsAssignableFrom<IOException>(error); // Kestrel's ConnectionResetException or "unexpected end of request content"
        await stream.DisposeAsync();
        Assert.True(await Eventually(async () => await lab.ServerConnectionsAsync() == 0), "the server still holds the reset connection");
        Assert.Equal("ok", await lab.Http.GetStringAsync("ok")); // and keeps serving
    }

    [Fact]
    public async Task A_client_that_never_reads_holds_a_bounded_response_and_shutdown_still_completes()
    {
        long written = 0;
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lab = await KestrelLab.StartAsync(app => app.MapGet("/endless", async (HttpContext context) =>
        {
            var chunk = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    // Kestrel drops writes to an aborted connection without an error: the token ends the loop.
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    Interlocked.Add(ref written, chunk.Length);
                }
            }
            catch (Exception e)
            {
                ended.TrySetResult(e);
            }
        }));
        try
        {
            var stream = await lab.Client.ConnectAsync(KestrelLab.ServerAddress, KestrelLab.Port);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /endless HTTP/1.1\r\nHost: lab\r\n\r\n"));

            // The response stalls once the client's window, the server's send buffer and the transport's pipe are full.
            long before = -1;
            var end = DateTime.UtcNow + Bound;
            while (Interlocked.Read(ref written) != before && DateTime.UtcNow < end)
            {
                before = Interlocked.Read(ref written);
                await Task.Delay(1000);
            }
            long held = Interlocked.Read(ref written);
            Assert.True(held == before, $"the response kept growing: {held} bytes written");
            Assert.InRange(held, 1, 8L << 20); // the window and buffers (192 KiB measured: they grow only as data is read), not the whole response

            var stopping = lab.App.StopAsync(); // graceful for 2 s, then Kestrel aborts the connection
            await stopping.WaitAsync(Bound);
            Assert.NotNull(await ended.Task.WaitAsync(Bound)); // the handler's write failed once the connection was aborted
            Assert.True(await Eventually(async () => await lab.ServerConnectionsAsync() == 0), "the server still holds the stalled connection");
            await stream.DisposeAsync();
        }
        finally
        {
            await lab.DisposeAsync();
        }
    }

    [Fact] // Kestrel disposes the connection while its last bytes wait for the client; only the shutdown's abort ends that
    public async Task A_finished_response_that_the_client_never_reads_is_reset_at_shutdown()
    {
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lab = await KestrelLab.StartAsync(app => app.MapGet("/big", async (HttpContext context) =>
        {
            await context.Response.Body.WriteAsync(new byte[16 << 20]); // all of it into the output pipe: its pause threshold is higher
            handled.TrySetResult();
        }), transport => transport.MaxWriteBufferSize = 64 << 20);
        try
        {
            var stream = await lab.Client.ConnectAsync(KestrelLab.ServerAddress, KestrelLab.Port);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /big HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"));
            await handled.Task.WaitAsync(Bound);

            await lab.App.StopAsync().WaitAsync(Bound);
            Assert.True(await Eventually(async () => await lab.ServerConnectionsAsync() == 0), "the server still holds the connection");
            await stream.DisposeAsync();
        }
        finally
        {
            await lab.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connections_one_after_another_reuse_their_connection_objects()
    {
        const int requests = 20;
        await using var lab = await KestrelLab.StartAsync(app => app.MapGet("/ok", () => "ok"));

        for (int i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "ok");
            request.Headers.ConnectionClose = true;
            using var response = await lab.Http.SendAsync(request);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            await Task.Delay(20); // the server's side of the close finishes (its DisposeAsync returns the object)
        }

        Assert.Equal(requests, lab.Connections.Count);
        int distinct = lab.Connections.Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.True(distinct <= 3, $"{distinct} connection objects for {requests} connections");
    }

    private static async Task<bool> Eventually(Func<Task<bool>> done)
    {
        var end = DateTime.UtcNow + Bound;
        while (!await done())
        {
            if (DateTime.UtcNow > end) return false;
            await Task.Delay(20);
        }
        return true;
    }
}
