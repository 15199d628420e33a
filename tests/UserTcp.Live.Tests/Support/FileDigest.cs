using System.Security.Cryptography;

namespace UserTcp.Live.Tests.Support;

/// <summary>A file's SHA-256 as the lab records its files' (lower-case hex), to check a download byte for byte.</summary>
internal static class FileDigest
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
