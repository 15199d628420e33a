using System.Text.Json;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Labs;

/// <summary>
/// A uniquely named lab for one test, removed on Dispose whatever the test did. Creating it checks for root first:
/// lab tests fail without root, never skip.
/// </summary>
internal sealed class TestLab : IDisposable
{
    public TestLab()
    {
        Repository.RequireRoot();
        // "t" and five random characters: parallel tests and parallel checkouts never pick the same names.
        Name = "t" + new string(Random.Shared.GetItems("abcdefghijklmnopqrstuvwxyz0123456789".AsSpan(), 5));
    }

    public string Name { get; }
    public LabNames Names => LabNames.For(Name);

    public LabInfo Up(string files = "64K", decimal loss = 0, decimal lossUp = 0, string? rate = null, bool offload = true) =>
        Lab.Up(new LabOptions { Name = Name, Files = files, LossPercent = loss, LossUpPercent = lossUp, Rate = rate, Offload = offload }).Lab;

    public void Dispose() => Lab.Down(Name);
}
