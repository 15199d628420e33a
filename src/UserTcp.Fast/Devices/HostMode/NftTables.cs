using System.Diagnostics;
using System.Text.RegularExpressions;

namespace UserTcp.Fast.Devices.HostMode;

/// <summary>The <c>nft</c> command (Debian's nftables package), run in the calling thread's network namespace.</summary>
internal static partial class NftTables
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Applies <paramref name="script"/> as one transaction (<c>nft -f -</c>).</summary>
    public static void Apply(string script) => Run(["-f", "-"], script);

    /// <summary>The names of the netdev tables whose names start with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> NetdevTables(string prefix) =>
        [.. Run(["list", "tables", "netdev"], null).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.StartsWith("table netdev ", StringComparison.Ordinal) ? line["table netdev ".Length..] : "")
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))];

    /// <summary>The comment of netdev table <paramref name="name"/>, or null when it has none or is gone.</summary>
    public static string? Comment(string name)
    {
        string listing;
        try
        {
            listing = Run(["list", "table", "netdev", name], null);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        var match = CommentLine().Match(listing);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>Deletes netdev table <paramref name="name"/>; false when it did not exist (or could not be deleted).</summary>
    public static bool TryDelete(string name)
    {
        try
        {
            Run(["delete", "table", "netdev", name], null);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Run(string[] arguments, string? input)
    {
        var start = new ProcessStartInfo("nft")
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("nft did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"host-address mode needs the nft command (Debian: apt-get install nftables): {e.Message}", e);
        }
        using (process)
        {
            if (input is not null)
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(Timeout)) process.Kill();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"nft {string.Join(' ', arguments)} failed: {error.GetAwaiter().GetResult().Trim()}");
            return output;
        }
    }

    [GeneratedRegex("^\\s*comment \"([^\"]*)\"", RegexOptions.Multiline)]
    private static partial Regex CommentLine();
}
