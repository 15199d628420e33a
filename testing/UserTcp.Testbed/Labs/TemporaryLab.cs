using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Testbed.Labs;

/// <summary>
/// A uniquely named lab for one test, removed on Dispose whatever the test (or a harness it ran with the name) made of it.
/// Making one checks for root first: lab tests fail without root, never skip.
/// </summary>
internal sealed class TemporaryLab : IDisposable
{
    /// <param name="prefix">The name's start (a letter first); random letters and digits fill it to six characters, so
    /// parallel tests and parallel checkouts never pick the same names.</param>
    public TemporaryLab(string prefix = "t")
    {
        Repository.RequireRoot();
        Name = prefix + NetworkNamespace.RandomSuffix(6 - prefix.Length);
    }

    public string Name { get; }
    public LabNames Names => LabNames.For(Name);

    public LabInfo Up(string files = "64K", decimal loss = 0, decimal lossUp = 0, string? rate = null, bool offload = true,
                      LabStackLink stackLink = LabStackLink.Veth, LabTopology topology = LabTopology.Flat) =>
        Lab.Up(new LabOptions
        {
            Name = Name, Files = files, LossPercent = loss, LossUpPercent = lossUp, Rate = rate, Offload = offload, StackLink = stackLink, Topology = topology,
        }).Lab;

    public void Dispose() => Lab.Down(Name);
}
