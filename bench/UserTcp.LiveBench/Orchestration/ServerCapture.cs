using System.Buffers.Binary;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The server's side of a recorded download, split for replay: the SYN-ACK alone (replayed first, so the stack can send
/// its request before data that acknowledges it arrives) and every later frame.
/// </summary>
internal sealed record ServerCapture(string SynAckFile, string DataFile, long DataFrames)
{
    public static ServerCapture Split(string recording, string directory)
    {
        string fromServer = $"tcp and src host {Lab.ServerIp}";
        var capture = new ServerCapture(Path.Combine(directory, "server-syn-ack.pcap"), Path.Combine(directory, "server-data.pcap"), 0);
        Tool.Run(["tcpdump", "-r", recording, "-w", capture.SynAckFile, $"{fromServer} and tcp[tcpflags] & tcp-syn != 0"]);
        Tool.Run(["tcpdump", "-r", recording, "-w", capture.DataFile, $"{fromServer} and tcp[tcpflags] & tcp-syn == 0"]);
        if (CountFrames(capture.SynAckFile) != 1) throw new BenchException($"{recording} does not hold exactly one SYN-ACK from the server");
        return capture with { DataFrames = CountFrames(capture.DataFile) };
    }

    /// <summary>Records in a classic pcap file: a 24-byte file header, then per frame a 16-byte header whose third field is the captured length.</summary>
    private static long CountFrames(string file)
    {
        using var stream = File.OpenRead(file);
        Span<byte> header = stackalloc byte[16];
        stream.ReadExactly(header[..8]);
        bool littleEndian = BinaryPrimitives.ReadUInt32LittleEndian(header) is 0xA1B2C3D4 or 0xA1B23C4D;
        stream.Seek(24, SeekOrigin.Begin);
        long frames = 0;
        while (stream.Read(header) == header.Length)
        {
            uint captured = littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) : BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
            stream.Seek(captured, SeekOrigin.Current);
            frames++;
        }
        return frames;
    }
}
