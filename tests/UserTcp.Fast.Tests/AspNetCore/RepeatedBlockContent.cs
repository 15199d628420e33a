using System.Net;

namespace UserTcp.Fast.Tests.AspNetCore;

/// <summary>A request body of <paramref name="count"/> copies of <paramref name="block"/>, streamed, never held whole.</summary>
internal sealed class RepeatedBlockContent(byte[] block, int count) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (int i = 0; i < count; i++) await stream.WriteAsync(block);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = (long)block.Length * count;
        return true;
    }
}
