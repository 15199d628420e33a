using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// Where a kernel client (curl, the kernel ACK receiver) connects from: an address on the client veth for that client's
/// runs only (scripts/demo.sh uses the same), so the veth has none otherwise and the stack's 198.18.0.2 stays unheld.
/// </summary>
internal static class KernelClient
{
    public const string Address = "198.18.0.3";

    public static void AddAddress(LabInfo lab) => ChangeAddress(lab, "add");

    public static void RemoveAddress(LabInfo lab) => ChangeAddress(lab, "del");

    private static void ChangeAddress(LabInfo lab, string verb) =>
        Tool.Run(["ip", "-n", lab.ClientNetns, "addr", verb, $"{Address}/{lab.Prefix}", "dev", lab.KernelIface]);
}
