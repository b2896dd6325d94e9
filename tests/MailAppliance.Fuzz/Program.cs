using MailAppliance.Fuzz;
using SharpFuzz;

// MailAppliance.Fuzz TARGET            one afl++ session (SharpFuzz's out-of-process loop, input on stdin)
// MailAppliance.Fuzz TARGET FILE...    runs the files through the target once each (replaying findings)
// MailAppliance.Fuzz TARGET --seeds DIR   writes the target's seed inputs into DIR (afl++'s starting corpus)
// MailAppliance.Fuzz --list            the target names
if (args.Length == 0 || args[0] == "--list")
{
    Console.WriteLine(string.Join('\n', ParserTargets.All.Keys));
    return args.Length == 0 ? 2 : 0;
}

if (!ParserTargets.All.TryGetValue(args[0], out var target))
{
    await Console.Error.WriteLineAsync($"unknown target {args[0]}; known: {string.Join(", ", ParserTargets.All.Keys)}");
    return 2;
}

if (args.Length == 3 && args[1] == "--seeds")
{
    Directory.CreateDirectory(args[2]);
    var n = 0;
    foreach (var seed in Seeds.For(args[0]).DefaultIfEmpty("x"u8.ToArray()))
    {
        await File.WriteAllBytesAsync(Path.Combine(args[2], $"seed-{n++}"), seed);
    }

    return 0;
}

if (args.Length > 1)
{
    var failed = 0;
    foreach (var file in args.Skip(1))
    {
        try
        {
            target(await File.ReadAllBytesAsync(file));
        }
        catch (Exception e)
        {
            failed++;
            await Console.Error.WriteLineAsync($"{file}: {e}");
        }
    }

    return failed == 0 ? 0 : 1;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
