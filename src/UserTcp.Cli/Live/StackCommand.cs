using System.CommandLine;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Capture;
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
    /// <paramref name="body"/> with it and its device, and prints the stack's counters with --stats.
    /// </summary>
    public static int RunOnPollThread(StackSetup setup, Func<NetworkStack, INetworkDevice, int> body)
    {
        INetworkDevice device = DeviceFactory.Open(setup);
        if (setup.Pcap is { } pcap) device = new CapturingDevice(device, pcap.FullName, DateTimeOffset.UtcNow);
        using var network = NetworkStack.Start(setup.ToOptions(device));
        try
        {
            return body(network, device);
        }
        finally
        {
            if (setup.Stats) Console.Error.Write(network.InvokeAsync(_ => network.Metrics.Format()).GetAwaiter().GetResult());
        }
    }

    /// <summary>The same frame for commands that open the stack their own way (on its poll thread, say).</summary>
    public static int RunWithSetup(string name, StackOptions options, ParseResult parse, Func<StackSetup, int> body)
    {
        try
        {
            var setup = options.Read(parse);
            // This thread enters the lab's client namespace before the body opens the device and starts any thread.
            if (setup.Lab is { } lab) NetworkNamespace.MoveCallingThread(Lab.Status(lab).ClientNetns);
            return body(setup.WithKernelGateway());
        }
        catch (Exception e) when (e is DeviceUnavailableException or LabException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"usertcp {name}: {e.Message}");
            return 2;
        }
    }
}
