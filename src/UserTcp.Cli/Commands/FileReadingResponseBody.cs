using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Win32.SafeHandles;

namespace UserTcp.Cli.Commands;

/// <summary>
/// The response body of <c>usertcp serve --root</c>'s requests: everything as the server's own feature does it, except
/// sending a file. Kestrel's fallback for that (ASP.NET Core's SendFileFallback) reads the file asynchronously in 16 KiB
/// pieces into a buffer of its own and copies each into the response: per GiB 65,536 reads, each a hop through the
/// thread pool and back, and one copy more than needed. Here the file is read synchronously (from the page cache
/// it does not block for long, as sendfile(2) does not) straight into the response pipe's memory in
/// <see cref="PieceBytes"/> pieces: one copy from the page cache into the bytes the transport sends, no hop. Kestrel
/// still sees every byte go through its writer (it checks them against Content-Length and applies its data-rate rules).
/// </summary>
internal sealed class FileReadingResponseBody(IHttpResponseBodyFeature server) : IHttpResponseBodyFeature
{
    /// <summary>Bytes read per system call and flushed at once; the transports' output pipes pause at 64 KiB.</summary>
    public const int PieceBytes = 64 * 1024;

    public Stream Stream => server.Stream;
    public PipeWriter Writer => server.Writer;
    public void DisableBuffering() => server.DisableBuffering();
    public Task StartAsync(CancellationToken cancellationToken = default) => server.StartAsync(cancellationToken);
    public Task CompleteAsync() => server.CompleteAsync();

    /// <summary>As <see cref="IHttpResponseBodyFeature.SendFileAsync"/>: <paramref name="count"/> bytes from
    /// <paramref name="offset"/> (null: to the end); a range outside the file throws before anything is sent.</summary>
    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, length);
        if (count is { } asked && (asked < 0 || asked > length - offset)) throw new ArgumentOutOfRangeException(nameof(count), asked, "past the end of the file");
        long remaining = count ?? length - offset;
        cancellationToken.ThrowIfCancellationRequested();
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        var writer = server.Writer;
        while (remaining > 0)
        {
            var memory = writer.GetMemory(PieceBytes);
            int want = (int)Math.Min(Math.Min(memory.Length, PieceBytes), remaining);
            int read = RandomAccess.Read(file, memory.Span[..want], offset);
            if (read == 0) throw new IOException($"{path} ended {remaining} bytes early: it shrank while being sent");
            writer.Advance(read);
            offset += read;
            remaining -= read;
            var flush = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted) return; // the connection ended: nothing more reaches the client
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
