using System.CommandLine;
using System.Text;
using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Diagnostics;

namespace UserTcp.Cli.Commands;

/// <summary><c>usertcp decode FILE [--count N]</c>: one tcpdump-style line per frame of a capture file, decoded by our wire layer.</summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A pcap capture file (Ethernet link type)." };
        var count = new Option<int?>("--count", "-c") { Description = "Stop after this many frames." };
        count.Validators.Add(result =>
        {
            if (result.GetValue(count) is <= 0) result.AddError("--count must be a positive number of frames.");
        });
        var command = new Command("decode", "Decode a capture file, one line per frame (like tcpdump -e -nn -S).") { file, count };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(count), Console.Out, Console.Error));
        return command;
    }

    public static int Run(FileInfo file, int? count, TextWriter output, TextWriter error)
    {
        if (!file.Exists)
        {
            error.WriteLine($"usertcp decode: {file.FullName}: no such file");
            return 1;
        }
        CaptureFileReaderDevice device;
        try
        {
            device = new CaptureFileReaderDevice(file.FullName);
            device.Open();
        }
        catch (Exception e) when (e is PcapException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"usertcp decode: {file.FullName}: not a readable capture file ({e.Message.Trim()})");
            return 1;
        }
        using (device)
        {
            if (device.LinkType != PacketDotNet.LinkLayers.Ethernet)
            {
                error.WriteLine($"usertcp decode: {file.FullName}: link type {device.LinkType} is not Ethernet");
                return 1;
            }
            var line = new StringBuilder(200);
            int frames = 0;
            while (count is null || frames < count)
            {
                var status = device.GetNextPacket(out PacketCapture capture);
                if (status == GetPacketStatus.NoRemainingPackets) break;
                if (status != GetPacketStatus.PacketRead)
                {
                    output.Flush();
                    error.WriteLine($"usertcp decode: {file.FullName}: unreadable record after frame {frames} ({device.LastError})");
                    return 1;
                }
                line.Clear();
                var time = capture.Header.Timeval.Date.ToLocalTime();
                line.Append(time.ToString("HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
                // The wire length exceeds the captured bytes when the capture's snap length cut the frame.
                int wireLength = capture.Header is PcapHeader header ? (int)header.PacketLength : capture.Data.Length;
                FrameFormatter.Append(line, capture.Data, wireLength);
                output.WriteLine(line);
                frames++;
            }
        }
        return 0;
    }
}
