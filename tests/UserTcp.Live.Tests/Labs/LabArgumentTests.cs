using UserTcp.Testbed.Labs;

namespace UserTcp.Live.Tests.Labs;

/// <summary>Bad arguments: a clear message naming the option, a non-zero exit, and nothing made.</summary>
public sealed class LabArgumentTests
{
    [Theory]
    [InlineData("--name", "Upper", "is not a lab name")]
    [InlineData("--name", "ninechars", "is not a lab name")]
    [InlineData("--name", "1abc", "is not a lab name")]
    [InlineData("--name", "a-b", "is not a lab name")]
    [InlineData("--files", "1X", "'1X' is not a size")]
    [InlineData("--files", "1.5M", "'1.5M' is not a size")]
    [InlineData("--files", "-1M", "'-1M' is not a size")]
    [InlineData("--files", "64K,,1M", "'' is not a size")]
    [InlineData("--files", "64K,64k", "'64K' is listed twice")]
    [InlineData("--files", "99999999999G", "is not a size")]
    [InlineData("--loss", "-1", "--loss -1 is outside 0..100")]
    [InlineData("--loss", "100.5", "--loss 100.5 is outside 0..100")]
    [InlineData("--loss-up", "101", "--loss-up 101 is outside 0..100")]
    [InlineData("--loss", "0.005", "finer than the rule's resolution of 0.01 percent")]
    [InlineData("--loss", "some", "'some'")]
    [InlineData("--rate", "fast", "--rate 'fast' is not a rate")]
    [InlineData("--rate", "100mbps", "--rate '100mbps' is not a rate")]
    [InlineData("--rate", "0mbit", "between 1kbit and 100gbit")]
    [InlineData("--rate", "1.5bit", "whole number of bit/s")]
    [InlineData("--rate", "200gbit", "between 1kbit and 100gbit")]
    [InlineData("--offload", "maybe", "'maybe'")]
    public void Bad_up_arguments_fail_clearly_and_make_nothing(string option, string value, string message)
    {
        string name = "t" + new string(Random.Shared.GetItems("abcdefghijklmnopqrstuvwxyz".AsSpan(), 5));
        var result = option == "--name" ? LabShell.Cli("up", option, value) : LabShell.Cli("up", "--name", name, option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("is up", result.Output);
        LabShell.AssertNothingLeft(name);
        Assert.False(File.Exists($"/run/netns/{value}-srv") || File.Exists($"/run/netns/{value}-cli"));
    }

    [Fact]
    public void The_api_reports_every_problem_at_once_before_touching_anything()
    {
        var error = Assert.Throws<LabException>(() => Lab.Up(new LabOptions { Name = "Bad!", LossPercent = -1, Rate = "fast", Files = "x" }));
        Assert.Contains("--name 'Bad!' is not a lab name", error.Message);
        Assert.Contains("--loss -1 is outside 0..100", error.Message);
        Assert.Contains("--rate 'fast' is not a rate", error.Message);
        Assert.Contains("--files: 'x' is not a size", error.Message);
    }

    [Theory]
    [InlineData("down")]
    [InlineData("status")]
    [InlineData("nstat")]
    public void Other_subcommands_refuse_a_bad_name(string subcommand)
    {
        var result = LabShell.Cli(subcommand, "--name", "Bad");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--name 'Bad' is not a lab name", result.Error);
    }
}
