using SharpFuzz;
using UserTcp.Testbed.Fuzzing;

// usertcp-fuzz --list | --seeds DIR TARGET | TARGET [FILE...]
// TARGET alone: SharpFuzz's fork server for afl-fuzz (outside afl-fuzz it runs stdin once). With files: runs each once
// and reports the first exception (how a crash afl-fuzz saved is replayed).
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: UserTcp.Fuzz --list | --seeds DIR TARGET | TARGET [FILE...]");
    return 2;
}
if (args[0] == "--list")
{
    foreach (var target in FuzzTargets.All) Console.WriteLine($"{target.Name,-14} {target.Description}");
    return 0;
}
if (args[0] == "--seeds")
{
    if (args.Length != 3) { Console.Error.WriteLine("usage: --seeds DIR TARGET"); return 2; }
    var seeds = FuzzTargets.Find(args[2]).Seeds().ToList();
    Directory.CreateDirectory(args[1]);
    for (int i = 0; i < seeds.Count; i++) File.WriteAllBytes(Path.Combine(args[1], $"seed-{i:D3}"), seeds[i]);
    Console.WriteLine($"{seeds.Count} seeds for {args[2]} in {args[1]}");
    return 0;
}
var chosen = FuzzTargets.Find(args[0]);
if (args.Length > 1)
{
    int failed = 0;
    foreach (var file in args.Skip(1))
    {
        try
        {
            chosen.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: {e}");
        }
    }
    Console.WriteLine($"{args.Length - 1 - failed} of {args.Length - 1} inputs ran clean");
    return failed == 0 ? 0 : 1;
}
var buffer = new MemoryStream();
Fuzzer.Run(stream =>
{
    buffer.SetLength(0);
    stream.CopyTo(buffer);
    chosen.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
