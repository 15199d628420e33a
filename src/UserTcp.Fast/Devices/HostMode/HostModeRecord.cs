using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.Fast.Tcp;

namespace UserTcp.Fast.Devices.HostMode;

/// <summary>
/// What one host-mode run changed, kept as the comment of its nftables table so that the next run can undo it if this one
/// died: the owner (pid and its start time, so a reused pid is not mistaken for it) and the ports it reserved.
/// </summary>
/// <param name="ProcessId">The run's pid, also in the table's name.</param>
/// <param name="StartTicks">Field 22 of /proc/PID/stat (start time in clock ticks since boot).</param>
/// <param name="Ports">The range added to net.ipv4.ip_local_reserved_ports.</param>
/// <param name="Previous">The sysctl's value before (for people reading the table; undoing removes <paramref name="Ports"/>).</param>
internal sealed partial record HostModeRecord(int ProcessId, long StartTicks, PortRange Ports, string Previous)
{
    /// <summary>Tables of host-mode runs are named this and the pid.</summary>
    public const string TablePrefix = "usertcp_host_";
    /// <summary>nft keeps at most 256 bytes of a comment (NFT_USERDATA_MAXLEN); a long previous value is left out.</summary>
    private const int MaxPreviousLength = 120;

    public string TableName => TableNameOf(ProcessId);

    public static string TableNameOf(int processId) => TablePrefix + processId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The table comment: <c>usertcp host mode pid=1 start=2 ports=40000-40999 previous=8080</c>.</summary>
    public string ToComment()
    {
        string previous = Previous.Length <= MaxPreviousLength && PreviousPattern().IsMatch(Previous) ? Previous : "?";
        return string.Create(CultureInfo.InvariantCulture, $"usertcp host mode pid={ProcessId} start={StartTicks} ports={Ports} previous={previous}");
    }

    public static bool TryParseComment(string comment, out HostModeRecord record)
    {
        record = null!;
        var match = CommentPattern().Match(comment);
        if (!match.Success || !PortRange.TryParse(match.Groups["ports"].Value, out var ports)) return false;
        record = new HostModeRecord(int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups["start"].Value, CultureInfo.InvariantCulture), ports, match.Groups["previous"].Value);
        return true;
    }

    [GeneratedRegex(@"^usertcp host mode pid=(?<pid>\d{1,9}) start=(?<start>\d{1,19}) ports=(?<ports>\d{1,5}(-\d{1,5})?) previous=(?<previous>[0-9,\-?]*)$")]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"^[0-9,\-]*$")]
    private static partial Regex PreviousPattern();
}
