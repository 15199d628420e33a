using System.Globalization;

namespace UserTcp.Testbed.Labs;

/// <summary><see cref="LabOptions"/> checked and parsed; loss in hundredths of a percent, the unit of the nftables rule.</summary>
internal sealed record LabSettings(LabNames Names, bool Offload, int LossHundredths, int LossUpHundredths, LabRate? Rate, IReadOnlyList<LabFileSpec> Files,
                                   LabStackLink StackLink, LabTopology Topology)
{
    /// <summary>Every problem of <paramref name="options"/> in one <see cref="LabException"/>, before anything is touched.</summary>
    public static LabSettings From(LabOptions options)
    {
        var problems = new List<string>();
        if (LabNames.Problem(options.Name) is { } nameProblem) problems.Add(nameProblem);
        int loss = Hundredths("--loss", options.LossPercent, problems);
        int lossUp = Hundredths("--loss-up", options.LossUpPercent, problems);
        LabRate? rate = null;
        if (options.Rate is not null)
        {
            if (LabRate.TryParse(options.Rate, out var parsed, out string rateProblem)) rate = parsed;
            else problems.Add(rateProblem);
        }
        if (!LabFileSpec.TryParseList(options.Files, out var files, out string filesProblem)) problems.Add(filesProblem);
        if (options.Topology == LabTopology.Routed && options.StackLink == LabStackLink.Tap)
            problems.Add("--stack-link tap is for the flat lab; the routed lab's stack runs on the client's LAN veth");
        if (problems.Count > 0) throw new LabException(string.Join("; ", problems));
        return new LabSettings(LabNames.For(options.Name), options.Offload, loss, lossUp, rate, files, options.StackLink, options.Topology);
    }

    public static decimal Percent(int hundredths) => hundredths / 100m;

    private static int Hundredths(string option, decimal percent, List<string> problems)
    {
        if (percent is < 0 or > 100)
        {
            problems.Add($"{option} {percent.ToString(CultureInfo.InvariantCulture)} is outside 0..100 (percent)");
            return 0;
        }
        decimal hundredths = percent * 100;
        if (hundredths != decimal.Truncate(hundredths))
        {
            problems.Add($"{option} {percent.ToString(CultureInfo.InvariantCulture)} is finer than the rule's resolution of 0.01 percent");
            return 0;
        }
        return (int)hundredths;
    }
}
