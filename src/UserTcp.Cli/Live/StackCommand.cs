using System.CommandLine;
using UserTcp.Fast.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Live;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Cli.Live;

/// <summary>
/// Shared frame of every command that runs the stack: re-run inside the lab's client namespace when --lab is given,
/// open the stack, run the command's body, and turn the expected failures into a clear message and exit code.
/// </summary>
internal static class StackCommand
{
    public static int Run(string name, StackOptions options, ParseResult parse, Func<LiveStack, int> body) =>
        RunWithSetup(name, options, parse, setup =>
        {
            using var stack = LiveStack.Open(setup);
            return body(stack);
        });

    /// <summary>The same frame for commands that open the stack their own way (on its poll thread, say).</summary>
    public static int RunWithSetup(string name, StackOptions options, ParseResult parse, Func<StackSetup, int> body)
    {
        try
        {
            var setup = options.Read(parse);
            if (setup.Lab is { } lab && Lab.Status(lab).ClientNetns is var netns && !NetworkNamespace.IsSelfInside(netns))
                return NetworkNamespace.RunSelfInside(netns);
            return body(setup);
        }
        catch (Exception e) when (e is DeviceUnavailableException or LabException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"usertcp {name}: {e.Message}");
            return 2;
        }
    }
}
