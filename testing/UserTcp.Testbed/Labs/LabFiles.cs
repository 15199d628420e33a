using System.Security.Cryptography;
using UserTcp.Fast.Randomness;

namespace UserTcp.Testbed.Labs;

/// <summary>
/// The files nginx serves. A file's content is the xoshiro256** stream (<see cref="DeterministicRandom"/>) seeded with its
/// length: the same size has the same bytes on every machine and run, files of different sizes share no prefix, and
/// pseudo-random bytes keep any compression on the path honest. Written in 1 MiB chunks and hashed on the way.
/// </summary>
internal static class LabFiles
{
    private const int ChunkBytes = 1 << 20;
    private const UnixFileMode ReadableFile = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode SearchableDirectory = ReadableFile | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// Makes <paramref name="webRoot"/> hold exactly <paramref name="wanted"/>: a file already recorded in <paramref name="existing"/>
    /// with the same length is kept (and not hashed again), missing ones are generated, unlisted ones are deleted. URLs
    /// name the server by <paramref name="serverIp"/>.
    /// </summary>
    public static Dictionary<string, LabFile> Sync(string webRoot, string scratch, IReadOnlyList<LabFileSpec> wanted,
                                                   IReadOnlyDictionary<string, LabFile> existing, string serverIp, Action<string> progress, CancellationToken cancel)
    {
        long missingBytes = wanted.Where(f => !IsKept(webRoot, f, existing)).Sum(f => f.Bytes);
        long free = new DriveInfo(webRoot).AvailableFreeSpace;
        if (missingBytes > free)
            throw new LabException($"--files needs {missingBytes} bytes but only {free} are free under {webRoot}");

        var files = new Dictionary<string, LabFile>();
        foreach (var spec in wanted)
        {
            cancel.ThrowIfCancellationRequested();
            if (IsKept(webRoot, spec, existing))
            {
                files[spec.Name] = existing[spec.Name];
                continue;
            }
            progress($"generating /{spec.Name} ({spec.Bytes} bytes)");
            // Generate beside the web root, then move in: nginx never serves a half-written file under its final name.
            string partial = Path.Combine(scratch, spec.Name + ".partial");
            string sha256 = Generate(partial, spec.Bytes, cancel);
            ShareWithNginx(partial);
            File.Move(partial, Path.Combine(webRoot, spec.Name), overwrite: true);
            string http = "http://" + serverIp, https = "https://" + serverIp;
            files[spec.Name] = new LabFile(spec.Bytes, sha256, $"{http}/{spec.Name}", $"{https}/{spec.Name}", $"{http}{Lab.ChunkedPrefix}{spec.Name}");
        }
        foreach (string path in Directory.EnumerateFiles(webRoot).Where(p => !files.ContainsKey(Path.GetFileName(p))).ToList())
            File.Delete(path);
        return files;
    }

    /// <summary>Writes the file's deterministic content to <paramref name="path"/> and returns its SHA-256 in lowercase hex.</summary>
    public static string Generate(string path, long bytes, CancellationToken cancel)
    {
        var random = new DeterministicRandom((ulong)bytes);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] chunk = new byte[(int)Math.Min(bytes, ChunkBytes)];
        using (var file = new FileStream(path, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, BufferSize = 0, PreallocationSize = bytes,
               }))
        {
            long left = bytes;
            while (left > 0)
            {
                cancel.ThrowIfCancellationRequested();
                var piece = chunk.AsSpan(0, (int)Math.Min(left, chunk.Length));
                random.NextBytes(piece);
                sha.AppendData(piece);
                file.Write(piece);
                left -= piece.Length;
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>
    /// Makes a directory searchable or a file readable by everyone, whatever the umask: nginx's workers run as nobody. (The
    /// lab refuses to start on anything but Linux before it gets here; the check is for the platform analyzer.)
    /// </summary>
    public static void ShareWithNginx(string path)
    {
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(path, Directory.Exists(path) ? SearchableDirectory : ReadableFile);
    }

    private static bool IsKept(string webRoot, LabFileSpec spec, IReadOnlyDictionary<string, LabFile> existing) =>
        existing.TryGetValue(spec.Name, out var recorded) && recorded.Bytes == spec.Bytes &&
        new FileInfo(Path.Combine(webRoot, spec.Name)) is { Exists: true } onDisk && onDisk.Length == spec.Bytes;
}
