using UserTcp.Fast.Interface;

namespace UserTcp.Testbed.Frames;

/// <summary>An <see cref="IFrameOutput"/> that keeps a copy of every frame transmitted, in order, for a test to inspect.</summary>
internal sealed class FrameRecorder : IFrameOutput
{
    public List<byte[]> Frames { get; } = new();

    public void Transmit(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());

    /// <summary>The frames recorded since the last call, handed over.</summary>
    public List<byte[]> Take()
    {
        var taken = new List<byte[]>(Frames);
        Frames.Clear();
        return taken;
    }
}
