using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Decode;

/// <summary>Bad files give a clear message and a non-zero exit, never a crash.</summary>
public sealed class DecodeCommandErrorTests
{
    private static (int Exit, string Output, string Error) Decode(string path, int? count = null)
    {
        string[] arguments = count is { } n ? ["decode", path, "--count", n.ToString()] : ["decode", path];
        var result = BuiltProgram.Run(BuiltProgram.Usertcp, arguments, TimeSpan.FromSeconds(30));
        return (result.ExitCode, result.Output, result.Error);
    }

    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Fixtures", "http-offload-off.pcap");

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var (exit, _, error) = Decode("/nonexistent/capture.pcap");
        Assert.Equal(1, exit);
        Assert.Contains("no such file", error);
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_a_clear_error()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "this is not a pcap file, just text\n");
            var (exit, _, error) = Decode(path);
            Assert.Equal(1, exit);
            Assert.Contains("not a readable capture file", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_capture_cut_mid_record_prints_the_whole_frames_then_fails()
    {
        string path = Path.GetTempFileName();
        try
        {
            byte[] bytes = File.ReadAllBytes(Fixture);
            File.WriteAllBytes(path, bytes[..3000]);
            var (exit, output, error) = Decode(path);
            Assert.Equal(1, exit);
            Assert.Contains("unreadable record after frame", error);
            Assert.True(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 3);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Count_limits_the_frames()
    {
        var (exit, output, _) = Decode(Fixture, 5);
        Assert.Equal(0, exit);
        Assert.Equal(5, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("decode")]
    [InlineData("decode --count 0 x.pcap")]
    [InlineData("decode --count many x.pcap")]
    [InlineData("no-such-command")]
    public void Wrong_command_lines_exit_non_zero_with_a_message(string commandLine)
    {
        var result = BuiltProgram.Run(BuiltProgram.Usertcp, commandLine.Split(' '), TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(result.Error), "expected an error message on stderr");
    }
}
