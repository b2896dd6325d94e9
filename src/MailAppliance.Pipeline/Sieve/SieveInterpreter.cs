namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// Runs a compiled script against one message for one recipient and returns the actions (RFC 5228 §2.10). Commands
/// and tests are dispatched from two tables, one handler each. Limits (instructions, actions, redirects, include
/// depth, body bytes, regex time) are enforced while running; any run-time error drops the actions and keeps the
/// message in INBOX, reporting the error (RFC 5228 §2.10.6). Time comes from the injected <see cref="TimeProvider"/>.
/// Thread-safe: one instance serves concurrent runs.
/// </summary>
public sealed partial class SieveInterpreter
{
    private readonly TimeProvider _time;
    private readonly SieveScriptCache _cache;
    private readonly Dictionary<string, Func<SieveRun, SieveNode, ValueTask<SieveFlow>>> _commands;
    private readonly Dictionary<string, Func<SieveRun, SieveNode, ValueTask<bool>>> _tests;

    public SieveInterpreter(TimeProvider time, SieveScriptCache? cache = null)
    {
        _time = time;
        _cache = cache ?? new SieveScriptCache();
        _commands = new(StringComparer.OrdinalIgnoreCase)
        {
            ["stop"] = (_, _) => ValueTask.FromResult(SieveFlow.Stop),
            ["keep"] = Keep,
            ["discard"] = Discard,
            ["redirect"] = Redirect,
            ["fileinto"] = FileInto,
            ["reject"] = Reject,
            ["ereject"] = Reject,
            ["setflag"] = Flags,
            ["addflag"] = Flags,
            ["removeflag"] = Flags,
            ["set"] = Set,
            ["vacation"] = Vacation,
            ["include"] = Include,
            ["return"] = (_, _) => ValueTask.FromResult(SieveFlow.Return),
            ["global"] = Global,
            ["addheader"] = AddHeader,
            ["deleteheader"] = DeleteHeader,
        };
        _tests = new(StringComparer.OrdinalIgnoreCase)
        {
            ["true"] = (_, _) => ValueTask.FromResult(true),
            ["false"] = (_, _) => ValueTask.FromResult(false),
            ["not"] = async (run, node) => !await TestAsync(run, node.Tests[0]),
            ["anyof"] = AnyOf,
            ["allof"] = AllOf,
            ["address"] = Address,
            ["envelope"] = Envelope,
            ["header"] = Header,
            ["exists"] = Exists,
            ["size"] = Size,
            ["body"] = Body,
            ["date"] = Date,
            ["currentdate"] = CurrentDate,
            ["string"] = StringTest,
            ["hasflag"] = HasFlag,
            ["mailboxexists"] = MailboxExists,
            ["duplicate"] = Duplicate,
            ["spamtest"] = SpamTest,
            ["virustest"] = VirusTest,
        };
    }

    public SieveScriptCache Cache => _cache;

    /// <summary>Compiles (or takes from the cache) and runs; a script that does not compile keeps the message.</summary>
    public async Task<SieveResult> RunAsync(string scriptName, string scriptText, SieveRunInput input, CancellationToken cancellationToken)
    {
        var compiled = _cache.GetOrCompile(scriptName, scriptText);
        if (compiled.Script is null)
        {
            return FallbackResult(compiled.Diagnostics);
        }

        return await RunAsync(compiled.Script, input, cancellationToken);
    }

    /// <summary>Runs a compiled script for one recipient of one message.</summary>
    public async Task<SieveResult> RunAsync(SieveScript script, SieveRunInput input, CancellationToken cancellationToken)
    {
        var message = SieveMessage.Load(input.Message);
        var run = new SieveRun(input, message, _cache.Limits, _time)
        {
            Scope = new SieveScope(script),
            BodyBytesLeft = _cache.Limits.MaxBodyBytes,
            CancellationToken = cancellationToken,
        };
        try
        {
            await ExecuteBlockAsync(run, script.Commands);
            var vacations = await SieveVacation.DecideAllAsync(run, cancellationToken);
            return Success(run, vacations);
        }
        catch (SieveRuntimeException e)
        {
            run.Diagnostics.Add(new SieveDiagnostic(SieveSeverity.Error, e.Position.Line, e.Position.Column, e.Message));
            return FallbackResult(run.Diagnostics);
        }
    }

    private static SieveResult FallbackResult(IReadOnlyList<SieveDiagnostic> diagnostics) =>
        new([], new SieveStoreAction(SievePosition.None, "INBOX", [], false, false), [], null, diagnostics, failed: true, commit: null);

    private static SieveResult Success(SieveRun run, List<(SieveVacationAction Action, string? Sender)> vacations)
    {
        var actions = run.Actions.Select(a => a is SieveVacationAction v ? vacations.First(x => x.Action.Position == v.Position && x.Action.Handle == v.Handle).Action : a).ToList();
        var implicitKeep = run.ImplicitKeepCancelled ? null : new SieveStoreAction(SievePosition.None, "INBOX", run.InternalFlags.ToList(), false, false);
        var input = run.Input;
        var marks = run.DuplicateMarks.ToList();
        var replies = vacations.Where(v => v.Action.Reply is not null && v.Sender is not null).ToList();
        Func<CancellationToken, ValueTask>? commit = input.DryRun || (marks.Count == 0 && replies.Count == 0) ? null : async ct =>
        {
            if (input.User.Duplicates is { } duplicates)
            {
                foreach (var (key, expires) in marks)
                {
                    await duplicates.TrackAsync(input.User.UserId, key, expires, ct);
                }
            }

            if (input.User.VacationResponses is { } memory)
            {
                foreach (var (action, sender) in replies)
                {
                    await memory.RecordAsync(input.User.UserId, sender!, action.Handle, run.Now + action.Period, ct);
                }
            }
        };
        return new SieveResult(actions, implicitKeep, run.Edits.ToList(), run.EditedHeaders, run.Diagnostics, failed: false, commit);
    }

    private async ValueTask<SieveFlow> ExecuteBlockAsync(SieveRun run, IReadOnlyList<SieveNode> block)
    {
        // RFC 5228 §3.1: an if/elsif/else chain runs at most one block.
        var chainTaken = false;
        foreach (var node in block)
        {
            run.CancellationToken.ThrowIfCancellationRequested();
            run.Count(node);
            SieveFlow flow;
            switch (node.Name)
            {
                case "if":
                case "elsif":
                    if (node.Name == "elsif" && chainTaken)
                    {
                        continue;
                    }

                    chainTaken = await TestAsync(run, node.Tests[0]);
                    if (!chainTaken)
                    {
                        continue;
                    }

                    flow = await ExecuteBlockAsync(run, node.Block!);
                    break;
                case "else":
                    if (chainTaken)
                    {
                        continue;
                    }

                    chainTaken = true;
                    flow = await ExecuteBlockAsync(run, node.Block!);
                    break;
                default:
                    chainTaken = false;
                    flow = await _commands[node.Name](run, node);
                    break;
            }

            if (flow != SieveFlow.Next)
            {
                return flow;
            }
        }

        return SieveFlow.Next;
    }

    private ValueTask<bool> TestAsync(SieveRun run, SieveNode test)
    {
        run.Count(test);
        return _tests[test.Name](run, test);
    }

    private async ValueTask<bool> AnyOf(SieveRun run, SieveNode node)
    {
        foreach (var t in node.Tests)
        {
            if (await TestAsync(run, t))
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask<bool> AllOf(SieveRun run, SieveNode node)
    {
        foreach (var t in node.Tests)
        {
            if (!await TestAsync(run, t))
            {
                return false;
            }
        }

        return true;
    }

    private async ValueTask<SieveFlow> Include(SieveRun run, SieveNode node)
    {
        // RFC 6609 §3.2: :personal is the default location; :once runs a script at most once per run.
        var global = node.Has("global");
        var name = run.Expand(node.StringAt(0));
        var key = (global ? "global/" : "personal/") + name;
        if (node.Has("once") && !run.IncludedOnce.Add(key))
        {
            return SieveFlow.Next;
        }

        if (run.IncludeDepth + 1 > run.Limits.MaxIncludeDepth || ++run.Includes > run.Limits.MaxIncludes)
        {
            throw new SieveRuntimeException($"include: too many nested or repeated includes (at most {run.Limits.MaxIncludeDepth} deep)") { Position = node.Position };
        }

        var text = run.Input.User.Scripts is { } scripts ? await scripts.GetScriptAsync(global, name, run.CancellationToken) : null;
        if (text is null)
        {
            if (node.Has("optional"))
            {
                return SieveFlow.Next;
            }

            throw new SieveRuntimeException($"include: script '{name}' does not exist") { Position = node.Position };
        }

        var compiled = _cache.GetOrCompile(name, text);
        if (compiled.Script is null)
        {
            var first = compiled.Errors.FirstOrDefault();
            throw new SieveRuntimeException($"include: failed to compile script '{name}'{(first is null ? "" : ": " + first.Format(name))}") { Position = node.Position };
        }

        var outer = run.Scope;
        run.Scope = new SieveScope(compiled.Script);
        run.IncludeDepth++;
        try
        {
            var flow = await ExecuteBlockAsync(run, compiled.Script.Commands);
            return flow == SieveFlow.Stop ? SieveFlow.Stop : SieveFlow.Next;
        }
        finally
        {
            run.IncludeDepth--;
            run.Scope = outer;
        }
    }

    private ValueTask<SieveFlow> Global(SieveRun run, SieveNode node)
    {
        foreach (var name in run.Expand(node.StringsAt(0)))
        {
            run.Scope.Globals.Add(name);
        }

        return ValueTask.FromResult(SieveFlow.Next);
    }
}
