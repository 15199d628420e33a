using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Capture;
using UserTcp.Fast.Devices.HostMode;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Live;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Cli.Live;

/// <summary>
/// Shared frame of every command that runs the stack: enter the lab's client namespace when --lab is given (setns(2) on
/// the calling thread, in this same process), open the stack, run the command's body, and turn the expected failures into a clear message and exit code.
/// </summary>
internal static class StackCommand
{
    public static int Run(string name, StackOptions options, ParseResult parse, Func<LiveStack, int> body) =>
        RunWithSetup(name, options, parse, setup =>
        {
            using var stack = LiveStack.Open(setup);
            return body(stack);
        });

    /// <summary>
    /// Starts the stack for <paramref name="setup"/> on its own poll thread (<see cref="NetworkStack"/>), runs
    /// <paramref name="body"/> with it and its device, and prints the stack's counters with --stats. With DHCP the lease
    /// is printed when it comes; the body starts after it unless <paramref name="overlapLease"/> (a client whose own
    /// set-up may run meanwhile: its connect waits for the lease).
    /// </summary>
    public static int RunOnPollThread(StackSetup setup, Func<NetworkStack, INetworkDevice, int> body, bool overlapLease = false)
    {
        INetworkDevice device = DeviceFactory.Open(setup);
        if (setup.Pcap is { } pcap) device = new CapturingDevice(device, pcap.FullName, DateTimeOffset.UtcNow);
        var network = NetworkStack.Start(setup.ToOptions(device));
        try
        {
            if (network.FirstLease is { } first)
            {
                var printed = first.ContinueWith(t => Console.Error.WriteLine($"usertcp: DHCP lease {t.Result}"), CancellationToken.None,
                                                 TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                if (!overlapLease)
                {
                    first.GetAwaiter().GetResult(); // no lease: a SocketException, exit 1
                    printed.Wait();
                }
            }
            return body(network, device);
        }
        finally
        {
            if (setup.Stats) Console.Error.Write(network.InvokeAsync(_ => network.Metrics.Format()).GetAwaiter().GetResult());
            // As close(2) and exit would: every connection ends with its FIN acknowledged (NetworkStackOptions.ShutdownTimeout
            // at most), not with the RST a plain Dispose sends for what has not finished.
            network.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The same frame for commands that open the stack their own way (on its poll thread, say).</summary>
    /// <param name="listenPorts">The ports the command listens on: with <c>--ip host</c>, kept from the kernel too.</param>
    public static int RunWithSetup(string name, StackOptions options, ParseResult parse, Func<StackSetup, int> body, IReadOnlyCollection<ushort>? listenPorts = null)
    {
        HostAddressLease? lease = null;
        try
        {
            var setup = options.Read(parse);
            // This thread enters the lab's client namespace before the body opens the device and starts any thread.
            if (setup.Lab is { } lab) NetworkNamespace.MoveCallingThread(Lab.Status(lab).ClientNetns);
            if (!setup.SharesHostAddress) return body(setup.WithKernelGateway());
            lease = HostAddressLease.Acquire(setup.InterfaceName!, listenPorts: listenPorts);
            foreach (var removed in lease.StaleRemoved) Console.Error.WriteLine($"usertcp {name}: {removed}");
            Console.Error.WriteLine($"usertcp {name}: sharing {lease.Address}/{lease.PrefixLength} of {lease.InterfaceName} with the kernel: "
                                    + $"ports {lease.Ports} reserved from it (net.ipv4.ip_local_reserved_ports), nftables table netdev {lease.TableName}");
            // Ctrl+C, SIGTERM and SIGHUP end the process without running finally blocks: undo the host's changes first.
            var undo = lease;
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => undo.Dispose());
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => undo.Dispose());
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => undo.Dispose());
            return body((setup with { Address = lease.Address, PrefixLength = lease.PrefixLength, LocalPorts = lease.Ports }).WithKernelGateway());
        }
        catch (Exception e) when (e is DeviceUnavailableException or LabException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"usertcp {name}: {e.Message}");
            return 2;
        }
        catch (SocketException e) // no DHCP lease (the commands handle their own transfer failures)
        {
            Console.Error.WriteLine($"usertcp {name}: {e.Message}");
            return 1;
        }
        finally
        {
            lease?.Dispose();
        }
    }
}
