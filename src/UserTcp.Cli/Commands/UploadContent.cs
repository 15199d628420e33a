using System.Net;

namespace UserTcp.Cli.Commands;

/// <summary>
/// A request body streamed from <paramref name="source"/> in 1 MiB pieces (never the whole file in memory), with a
/// Content-Length when <paramref name="declaredLength"/> is known (chunked otherwise), reporting each piece to
/// <paramref name="sent"/> (progress, the idle timeout).
/// </summary>
internal sealed class UploadContent(Stream source, long? declaredLength, Action<long> sent) : HttpContent
{
    private const int PieceBytes = 1 << 20;

    public long BytesSent { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = new byte[PieceBytes];
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            BytesSent += n;
            sent(BytesSent);
        }
        if (declaredLength is { } declared && BytesSent != declared)
            throw new IOException($"{declared} bytes were announced, but the file gave {BytesSent} (it changed while being sent)");
    }

    protected override bool TryComputeLength(out long length)
    {
        length = declaredLength ?? 0;
        return declaredLength is not null;
    }
}
