using System.Runtime.InteropServices;
using System.Text;

namespace MailAppliance.Hosting;

/// <summary>
/// <c>serve</c> runs with the runtime's tiering delay turned off (<c>DOTNET_TC_CallCountingDelayMs=0</c>), which only
/// the environment can set: before anything else, serve replaces itself (execve, same process id, same arguments,
/// same descriptors) with a copy of itself that has the variable. An operator's own value of it is kept.
/// </summary>
/// <remarks>
/// The runtime first compiles each method quickly and without optimising (tier 0), and recompiles the ones called 30
/// times only after 100 ms in which nothing new was compiled. A mail server compiles new methods for minutes (each
/// new kind of message, command, reply or query reaches code not run before), so the delay kept restarting and hot
/// paths ran unoptimised code: on the relay benchmark, after a 2,000-message warm-up, a fifth of the server's CPU was
/// still the JIT and each message cost 3.7 ms of CPU, against 2.1–2.2 ms with the delay off (docs/performance.md).
/// Turning tiering off altogether (a runtimeconfig setting) cost 2.5 ms: code compiled once, at first call, lacks what
/// tier 1 learns. Short admin verbs are not relaunched: they end before tiering would pay.
/// </remarks>
internal static partial class PromptTiering
{
    /// <summary>The variable, and the value serve runs with.</summary>
    public const string Variable = "DOTNET_TC_CallCountingDelayMs";

    private const string LegacyVariable = "COMPlus_TC_CallCountingDelayMs";

    /// <summary>Whether serve runs without the tiering delay (what the start-up log line says).</summary>
    public static bool IsOff => Environment.GetEnvironmentVariable(Variable) == "0" || Environment.GetEnvironmentVariable(LegacyVariable) == "0";

    /// <summary>
    /// Replaces this process with itself plus <see cref="Variable"/>=0, unless the variable is set already (by the
    /// operator, or by this very relaunch). Returns only if there is nothing to do or the relaunch failed; serve then
    /// goes on as it is, only slower.
    /// </summary>
    public static void RelaunchIfNeeded()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable(Variable) is not null
            || Environment.GetEnvironmentVariable(LegacyVariable) is not null
            || UnderTool())
        {
            return;
        }

        byte[][] arguments, environment;
        try
        {
            // The exact bytes the process was started with: /proc keeps them, whatever their encoding.
            arguments = Split(File.ReadAllBytes("/proc/self/cmdline"));
            environment = [.. Split(File.ReadAllBytes("/proc/self/environ")), Encoding.ASCII.GetBytes($"{Variable}=0")];
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        if (arguments.Length == 0)
        {
            return;
        }

        ForgetDiagnosticsSocket();
        var argv = ToUnmanaged(arguments);
        var envp = ToUnmanaged(environment);
        try
        {
            // The program's own path rather than /proc/self/exe, whose name ("exe") ps and pgrep would show.
            _ = Execve(Environment.ProcessPath ?? "/proc/self/exe", argv, envp); // returns only on failure
        }
        finally
        {
            Free(argv);
            Free(envp);
        }
    }

    /// <summary>
    /// A debugger, a tracer, or a diagnostics tool that started serve (dotnet-trace, dotnet-counters: a diagnostic
    /// port, on which the runtime waits to be resumed) is attached to this runtime: a relaunch would leave it behind
    /// and the new runtime waiting for it.
    /// </summary>
    private static bool UnderTool()
    {
        if (System.Diagnostics.Debugger.IsAttached
            || Environment.GetEnvironmentVariable("DOTNET_DiagnosticPorts") is not null
            || Environment.GetEnvironmentVariable("COMPlus_DiagnosticPorts") is not null)
        {
            return true;
        }

        try
        {
            var tracer = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("TracerPid:", StringComparison.Ordinal));
            return tracer is not null && tracer["TracerPid:".Length..].Trim() != "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The runtime's diagnostics socket (what dotnet-trace and dotnet-counters connect to) is named after the process
    /// id and start time, which the relaunched runtime shares: the file is removed so that it can create its own.
    /// Should the relaunch then fail, this serve runs on without one.
    /// </summary>
    private static void ForgetDiagnosticsSocket()
    {
        try
        {
            foreach (var path in Directory.EnumerateFiles(Path.GetTempPath(), $"dotnet-diagnostic-{Environment.ProcessId}-*-socket"))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without it the relaunched serve still runs; only the diagnostics tools cannot attach.
        }
    }

    private static byte[][] Split(byte[] block)
    {
        var parts = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < block.Length; i++)
        {
            if (block[i] == 0)
            {
                parts.Add(block[start..i]);
                start = i + 1;
            }
        }

        if (start < block.Length)
        {
            parts.Add(block[start..]);
        }

        return [.. parts];
    }

    /// <summary>A NULL-terminated array of NUL-terminated strings, as execve takes them.</summary>
    private static IntPtr[] ToUnmanaged(byte[][] strings)
    {
        var pointers = new IntPtr[strings.Length + 1];
        for (var i = 0; i < strings.Length; i++)
        {
            pointers[i] = Marshal.AllocHGlobal(strings[i].Length + 1);
            Marshal.Copy(strings[i], 0, pointers[i], strings[i].Length);
            Marshal.WriteByte(pointers[i], strings[i].Length, 0);
        }

        return pointers;
    }

    private static void Free(IntPtr[] pointers)
    {
        foreach (var pointer in pointers)
        {
            if (pointer != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(pointer);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, IntPtr[] argv, IntPtr[] envp);
}
