using MailAppliance.Core.Addresses;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>The action and variable commands: one handler each.</summary>
public sealed partial class SieveInterpreter
{
    private static ValueTask<SieveFlow> Next => ValueTask.FromResult(SieveFlow.Next);

    // RFC 5228 §4.3; RFC 5232 §5 :flags.
    private static ValueTask<SieveFlow> Keep(SieveRun run, SieveNode node)
    {
        AddStore(run, node, "INBOX", copy: false, create: false);
        return Next;
    }

    // RFC 5228 §4.1; RFC 3894 :copy; RFC 5490 :create.
    private static ValueTask<SieveFlow> FileInto(SieveRun run, SieveNode node)
    {
        var folder = run.Expand(node.StringAt(0));
        if (folder.Length == 0)
        {
            throw new SieveRuntimeException("fileinto: the folder name is empty") { Position = node.Position };
        }

        AddStore(run, node, folder, node.Has("copy"), node.Has("create"));
        return Next;
    }

    private static void AddStore(SieveRun run, SieveNode node, string folder, bool copy, bool create)
    {
        var flags = node.TagStrings("flags") is { } given ? NormalizeFlags(run.Expand(given).SelectMany(SplitFlags)) : run.InternalFlags.ToList();
        if (folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
        {
            folder = "INBOX";
        }

        ConflictWithReject(run, node, "store");
        // RFC 5228 §4.2: storing twice into one folder stores once; the later action's flags apply (as Pigeonhole).
        var index = run.Actions.FindIndex(a => a is SieveStoreAction s && s.Folder == folder);
        if (index >= 0)
        {
            var earlier = (SieveStoreAction)run.Actions[index];
            run.Actions[index] = earlier with { Flags = flags, Create = earlier.Create || create, Copy = earlier.Copy && copy };
        }
        else
        {
            AddAction(run, node, new SieveStoreAction(node.Position, folder, flags, create, copy));
        }

        if (!copy)
        {
            run.ImplicitKeepCancelled = true;
        }
    }

    private static void AddAction(SieveRun run, SieveNode node, SieveAction action)
    {
        // sieve_max_actions: a run may not pile up actions without bound.
        if (run.Actions.Count >= run.Limits.MaxActions)
        {
            throw new SieveRuntimeException($"total number of actions exceeds policy limit ({run.Limits.MaxActions})") { Position = node.Position };
        }

        run.Actions.Add(action);
    }

    // RFC 5429 §2.1: reject cannot be combined with actions that deliver the message, nor with vacation.
    private static void ConflictWithReject(SieveRun run, SieveNode node, string what)
    {
        if (run.Actions.OfType<SieveRejectAction>().FirstOrDefault() is { } reject)
        {
            throw new SieveRuntimeException($"{what} action conflicts with the earlier reject/ereject action (line {reject.Position.Line})") { Position = node.Position };
        }
    }

    // RFC 5228 §4.2.
    private static ValueTask<SieveFlow> Redirect(SieveRun run, SieveNode node)
    {
        var target = run.Expand(node.StringAt(0)).Trim();
        if (target.StartsWith('<') && target.EndsWith('>'))
        {
            target = target[1..^1];
        }

        if (!MailAddress.TryParse(target, out var address, out _))
        {
            throw new SieveRuntimeException($"specified redirect address '{target}' is invalid") { Position = node.Position };
        }

        ConflictWithReject(run, node, "redirect");
        var text = address.ToString();
        var copy = node.Has("copy");
        var index = run.Actions.FindIndex(a => a is SieveRedirectAction r && r.Address.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            var earlier = (SieveRedirectAction)run.Actions[index];
            run.Actions[index] = earlier with { Copy = earlier.Copy && copy };
        }
        else
        {
            if (run.Actions.OfType<SieveRedirectAction>().Count() >= run.Limits.MaxRedirects)
            {
                throw new SieveRuntimeException($"number of redirect actions exceeds policy limit ({run.Limits.MaxRedirects})") { Position = node.Position };
            }

            AddAction(run, node, new SieveRedirectAction(node.Position, text, copy));
        }

        if (!copy)
        {
            run.ImplicitKeepCancelled = true;
        }

        return Next;
    }

    // RFC 5228 §4.4.
    private static ValueTask<SieveFlow> Discard(SieveRun run, SieveNode node)
    {
        if (!run.Actions.OfType<SieveDiscardAction>().Any())
        {
            AddAction(run, node, new SieveDiscardAction(node.Position));
        }

        run.ImplicitKeepCancelled = true;
        return Next;
    }

    // RFC 5429 §2.1, §2.2.
    private static ValueTask<SieveFlow> Reject(SieveRun run, SieveNode node)
    {
        if (run.Actions.FirstOrDefault(a => a is SieveStoreAction or SieveVacationAction || a is SieveRedirectAction { Copy: false }) is { } other)
        {
            var kind = other switch
            {
                SieveStoreAction => "store",
                SieveVacationAction => "vacation",
                _ => "redirect",
            };
            throw new SieveRuntimeException($"reject/ereject action conflicts with other action: the {kind} action (line {other.Position.Line}) tries to deliver the message.") { Position = node.Position };
        }

        if (run.Actions.OfType<SieveRejectAction>().Any())
        {
            throw new SieveRuntimeException("duplicate reject/ereject action not allowed") { Position = node.Position };
        }

        AddAction(run, node, new SieveRejectAction(node.Position, run.Expand(node.StringAt(0)), node.Name == "ereject"));
        run.ImplicitKeepCancelled = true;
        return Next;
    }

    // RFC 5232 §3: setflag, addflag, removeflag on the internal variable or a named one.
    private static ValueTask<SieveFlow> Flags(SieveRun run, SieveNode node)
    {
        var variable = node.StringsAt(0) is { Count: > 0 } v ? run.Expand(v[0]) : null;
        var current = variable is null ? run.InternalFlags.ToList() : SplitFlags(run.GetVariable(variable) ?? string.Empty).ToList();
        var given = run.Expand(node.StringsAt(1)).SelectMany(SplitFlags).ToList();
        List<string> updated = node.Name switch
        {
            "setflag" => NormalizeFlags(given),
            "addflag" => NormalizeFlags(current.Concat(given)),
            _ => current.Where(f => !given.Contains(f, StringComparer.OrdinalIgnoreCase)).ToList(),
        };
        if (variable is null)
        {
            run.InternalFlags.Clear();
            run.InternalFlags.AddRange(updated);
        }
        else
        {
            run.SetVariable(variable, string.Join(' ', updated), node.Position);
        }

        return Next;
    }

    /// <summary>RFC 5232 §3: flags are case-insensitive and appear once.</summary>
    private static List<string> NormalizeFlags(IEnumerable<string> flags)
    {
        var result = new List<string>();
        foreach (var flag in flags)
        {
            if (!result.Contains(flag, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(flag);
            }
        }

        return result;
    }

    // RFC 5229 §4.
    private static ValueTask<SieveFlow> Set(SieveRun run, SieveNode node)
    {
        var name = run.Expand(node.StringAt(0));
        if (!SieveStrings.IsVariableName(name, allowNumbered: false))
        {
            throw new SieveRuntimeException($"invalid variable name '{name}'") { Position = node.Position };
        }

        var value = run.Expand(node.StringAt(1));
        // RFC 5229 §4.1: modifiers apply by precedence: case (40), first-letter case (30), quoting (20),
        // :encodeurl (15, RFC 5435), :length (10).
        if (node.Has("lower"))
        {
            value = value.ToLowerInvariant();
        }
        else if (node.Has("upper"))
        {
            value = value.ToUpperInvariant();
        }

        if (value.Length > 0 && node.Has("lowerfirst"))
        {
            value = char.ToLowerInvariant(value[0]) + value[1..];
        }
        else if (value.Length > 0 && node.Has("upperfirst"))
        {
            value = char.ToUpperInvariant(value[0]) + value[1..];
        }

        if (node.Has("quotewildcard"))
        {
            value = SieveStrings.QuoteWildcard(value);
        }

        if (node.Has("quoteregex"))
        {
            value = SieveStrings.QuoteRegex(value);
        }

        if (node.Has("encodeurl"))
        {
            value = Uri.EscapeDataString(value);
        }

        if (node.Has("length"))
        {
            value = new System.Globalization.StringInfo(value).LengthInTextElements.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        run.SetVariable(name, value, node.Position);
        return Next;
    }

    // RFC 5230 §4, RFC 6131: the action is recorded here; the checks of §4.5 run when the script has finished.
    private static ValueTask<SieveFlow> Vacation(SieveRun run, SieveNode node)
    {
        if (run.Actions.OfType<SieveVacationAction>().Any())
        {
            throw new SieveRuntimeException("duplicate vacation action not allowed") { Position = node.Position };
        }

        ConflictWithReject(run, node, "vacation");
        var reason = run.Expand(node.StringAt(0));
        var subject = node.TagString("subject") is { } s ? run.Expand(s) : null;
        var from = node.TagString("from") is { } f ? run.Expand(f) : null;
        var addresses = node.TagStrings("addresses") is { } a ? run.Expand(a) : [];
        var mime = node.Has("mime");
        var period = node.TagNumber("seconds") is { } seconds ? TimeSpan.FromSeconds(seconds)
            : node.TagNumber("days") is { } days ? TimeSpan.FromDays(days)
            : run.Limits.VacationDefaultPeriod;
        // RFC 6131 §2: :seconds 0 means always reply; else clamp to the policy range (Pigeonhole warns).
        if (!(node.Has("seconds") && period == TimeSpan.Zero))
        {
            period = period < run.Limits.VacationMinPeriod ? run.Limits.VacationMinPeriod
                : period > run.Limits.VacationMaxPeriod ? run.Limits.VacationMaxPeriod
                : period;
        }

        // RFC 5230 §4.2: without :handle, the reason, subject and from make the handle (Pigeonhole's form).
        var handle = node.TagString("handle") is { } h ? run.Expand(h)
            : reason + (subject ?? "<default-subject>") + (from ?? "<default-from>") + (mime ? "<MIME>" : "<NO-MIME>");
        AddAction(run, node, new SieveVacationAction(node.Position, reason, subject, from, addresses, mime, handle, period));
        return Next;
    }

    // RFC 5293 §4.
    private static ValueTask<SieveFlow> AddHeader(SieveRun run, SieveNode node)
    {
        var name = run.Expand(node.StringAt(0));
        var value = run.Expand(node.StringAt(1));
        if (!SieveHeaders.IsFieldName(name))
        {
            throw new SieveRuntimeException($"addheader: specified field name '{name}' is invalid") { Position = node.Position };
        }

        var headers = run.EditedHeaders ??= run.Message.Headers.ToList();
        var header = new SieveHeader(name, SieveHeaders.EncodeValue(value));
        if (node.Has("last"))
        {
            headers.Add(header);
        }
        else
        {
            headers.Insert(0, header);
        }

        run.Edits.Add(new SieveHeaderAdded(name, value, node.Has("last")));
        return Next;
    }

    // RFC 5293 §5.
    private static ValueTask<SieveFlow> DeleteHeader(SieveRun run, SieveNode node)
    {
        var name = run.Expand(node.StringAt(0));
        if (SieveHeaders.IsProtected(name))
        {
            run.Diagnostics.Add(SieveDiagnostic.Warning(node.Position, $"deleteheader: the {name} header is protected and was not deleted"));
            return Next;
        }

        var patterns = node.Positional.Count > 1 ? run.Expand(node.StringsAt(1)) : null;
        var headers = run.EditedHeaders ??= run.Message.Headers.ToList();
        var positions = Enumerable.Range(0, headers.Count).Where(i => headers[i].Name.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
        positions = SieveRun.SelectIndex(positions, node.TagNumber("index"), node.Has("last"));
        var doomed = positions.Where(i => patterns is null || run.Matcher.Match(node.Match, [headers[i].Decoded], patterns)).ToList();
        for (var i = doomed.Count - 1; i >= 0; i--)
        {
            headers.RemoveAt(doomed[i]);
        }

        if (doomed.Count > 0)
        {
            run.Edits.Add(new SieveHeaderDeleted(name, doomed.Count));
        }

        return Next;
    }
}
