using System.Diagnostics;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Labs;

/// <summary><c>lab down</c> removes everything and is idempotent; a failed or interrupted <c>up</c> leaves nothing behind.</summary>
public sealed class LabDownTests
{
    [Fact]
    public void Down_removes_namespaces_nginx_dnsmasq_and_state_and_a_second_down_is_a_no_op()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.True(LabProcesses.IsAlive(info.NginxPid) && LabProcesses.IsAlive(info.DnsmasqPid));

        var down = LabShell.CliChecked("down", "--name", lab.Name);
        Assert.Contains($"lab {lab.Name} removed", down.Output);
        LabShell.AssertNothingLeft(lab.Name);
        Assert.False(LabProcesses.IsAlive(info.NginxPid), $"nginx {info.NginxPid} survived lab down");
        Assert.False(LabProcesses.IsAlive(info.DnsmasqPid), $"dnsmasq {info.DnsmasqPid} survived lab down");

        var again = LabShell.CliChecked("down", "--name", lab.Name);
        Assert.Contains("nothing to remove", again.Output);
        Assert.False(Lab.Down(lab.Name));
    }

    [Fact]
    public void Down_ends_processes_that_still_run_in_the_lab()
    {
        using var lab = new TemporaryLab();
        lab.Up();
        // Stands in for a stack that entered the client namespace.
        using var sleeper = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", lab.Names.ClientNamespace, "sleep", "60"]))!;
        var clock = Stopwatch.StartNew();
        while (!ProcessRunner.Run("ip", ["netns", "identify", sleeper.Id.ToString()], TimeSpan.FromSeconds(10)).Output.Contains(lab.Names.ClientNamespace) &&
               clock.Elapsed < TimeSpan.FromSeconds(5))
            Thread.Sleep(20);

        Assert.True(Lab.Down(lab.Name));
        Assert.True(sleeper.WaitForExit(TimeSpan.FromSeconds(5)), "the process in the client namespace survived lab down");
        LabShell.AssertNothingLeft(lab.Name);
    }

    [Fact]
    public void An_interrupted_up_removes_what_it_had_made()
    {
        using var lab = new TemporaryLab();
        using var interrupt = new CancellationTokenSource();
        void CancelWhenGenerating(string step)
        {
            // By the time files are generated the namespaces, veth and rules exist: all of it has to go.
            if (step.StartsWith("generating", StringComparison.Ordinal))
            {
                Assert.True(NetworkNamespace.Exists(lab.Names.ServerNamespace));
                interrupt.Cancel();
            }
        }

        Assert.ThrowsAny<OperationCanceledException>(() =>
            Lab.Up(new LabOptions { Name = lab.Name, Files = "64K", LossPercent = 1, Rate = "1gbit" }, CancelWhenGenerating, interrupt.Token));
        LabShell.AssertNothingLeft(lab.Name);
    }

    [Fact]
    public void Up_leaves_a_namespace_it_did_not_make_alone()
    {
        using var lab = new TemporaryLab();
        string foreign = lab.Names.ClientNamespace;
        NetworkNamespace.Add(foreign);
        try
        {
            var error = Assert.Throws<LabException>(() => lab.Up());
            Assert.Contains("was not made by lab up", error.Message);
            Assert.True(NetworkNamespace.Exists(foreign), "up removed a namespace that was not its own");
            Assert.False(NetworkNamespace.Exists(lab.Names.ServerNamespace));
            Assert.False(Directory.Exists(lab.Names.StateDirectory));
        }
        finally
        {
            NetworkNamespace.Remove(foreign);
        }
    }

    [Fact]
    public void Status_fails_on_a_lab_that_is_not_up()
    {
        using var lab = new TemporaryLab();
        var error = Assert.Throws<LabNotUpException>(() => Lab.Status(lab.Name));
        Assert.Contains("is not up", error.Message);

        var status = LabShell.Cli("status", "--name", lab.Name, "--json");
        Assert.Equal(1, status.ExitCode);
        Assert.Empty(status.Output);
        Assert.Contains($"lab {lab.Name} is not up", status.Error);
    }

    [Fact]
    public void Status_notices_a_dead_nginx_and_up_rebuilds_the_lab()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        using (var nginx = Process.GetProcessById(info.NginxPid))
        {
            nginx.Kill();
            nginx.WaitForExit(TimeSpan.FromSeconds(5));
        }

        var error = Assert.Throws<LabNotUpException>(() => Lab.Status(lab.Name));
        Assert.Contains($"nginx (pid {info.NginxPid}) is not running", error.Message);
        Assert.Equal(1, LabShell.Cli("status", "--name", lab.Name).ExitCode);

        var rebuilt = Lab.Up(new LabOptions { Name = lab.Name, Files = "64K" });
        Assert.Equal(LabUpOutcome.Rebuilt, rebuilt.Outcome);
        Assert.True(LabProcesses.IsAlive(rebuilt.Lab.NginxPid));
        Assert.Equal(rebuilt.Lab.NginxPid, Lab.Status(lab.Name).NginxPid);
    }
}
