using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

internal static class TcpOptionsTestExtensions
{
    public static SackBlock[] SackBlocks(this in TcpOptions options)
    {
        var blocks = new SackBlock[options.SackBlockCount];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = options.GetSackBlock(i);
        return blocks;
    }

    /// <summary>The options <see cref="TcpOptions.Emit"/> actually writes: SACK blocks past
    /// <see cref="TcpOptions.EmittedSackBlockCount"/> are dropped. The expected value after an emit-parse round trip.</summary>
    public static TcpOptions AsEmitted(this in TcpOptions options) => options.WithSackBlocks(options.SackBlocks()[..options.EmittedSackBlockCount]);

    /// <summary>A copy with <see cref="TcpOptions.UnknownCount"/> zero (only a parse can set it), for comparing the known options alone.</summary>
    public static TcpOptions WithoutUnknownCount(this in TcpOptions options) =>
        new TcpOptions
        {
            MaximumSegmentSize = options.MaximumSegmentSize,
            WindowScale = options.WindowScale,
            SackPermitted = options.SackPermitted,
            Timestamps = options.Timestamps,
        }.WithSackBlocks(options.SackBlocks());

    public static TcpOptions WithSackBlocks(this TcpOptions options, ReadOnlySpan<SackBlock> blocks)
    {
        options.ClearSackBlocks();
        foreach (var block in blocks) options.AddSackBlock(block);
        return options;
    }
}
