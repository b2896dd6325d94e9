using MailAppliance.Mime;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>Where control goes after a command.</summary>
internal enum SieveFlow
{
    Next,
    Stop,
    Return,
}

/// <summary>The variables of one script (RFC 5229 §3; RFC 6609 §3.3: each included script has its own, except
/// those declared global).</summary>
internal sealed class SieveScope
{
    public SieveScope(SieveScript script) => Script = script;

    public SieveScript Script { get; }

    public Dictionary<string, string> Variables { get; } = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Globals { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The state of one run: the message view, variables, flags, actions so far, counters.</summary>
internal sealed class SieveRun
{
    public SieveRun(SieveRunInput input, SieveMessage message, SieveLimits limits, TimeProvider time)
    {
        Input = input;
        Message = message;
        Limits = limits;
        Time = time;
        Matcher = new SieveMatcher(limits.RegexTimeout);
        Now = time.GetUtcNow();
    }

    public SieveRunInput Input { get; }

    public SieveMessage Message { get; }

    public SieveLimits Limits { get; }

    public TimeProvider Time { get; }

    /// <summary>RFC 5260 §5: currentdate is the same instant for the whole run.</summary>
    public DateTimeOffset Now { get; }

    public SieveMatcher Matcher { get; }

    public SieveScope Scope { get; set; } = null!;

    public Dictionary<string, string> GlobalVariables { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>RFC 5232 §3: the internal flags variable, in the order flags were added.</summary>
    public List<string> InternalFlags { get; } = [];

    public List<SieveAction> Actions { get; } = [];

    public bool ImplicitKeepCancelled { get; set; }

    public List<SieveHeaderEdit> Edits { get; } = [];

    /// <summary>The header as edited (copied from the message at the first edit).</summary>
    public List<SieveHeader>? EditedHeaders { get; set; }

    public IReadOnlyList<SieveHeader> Headers => EditedHeaders ?? Message.Headers;

    public List<(string Key, DateTimeOffset Expires)> DuplicateMarks { get; } = [];

    public HashSet<string> IncludedOnce { get; } = new(StringComparer.Ordinal);

    public int Instructions { get; set; }

    public int IncludeDepth { get; set; }

    public int Includes { get; set; }

    public int BodyBytesLeft { get; set; }

    public List<SieveDiagnostic> Diagnostics { get; } = [];

    public CancellationToken CancellationToken { get; set; }

    public void Count(SieveNode node)
    {
        if (++Instructions > Limits.MaxInstructions)
        {
            throw new SieveRuntimeException($"script runs too long (more than {Limits.MaxInstructions} instructions)") { Position = node.Position };
        }
    }

    public string Expand(SieveString s)
    {
        if (!s.HasVariables)
        {
            return s.Text;
        }

        return SieveStrings.Expand(s.Text, name =>
        {
            if (name.All(char.IsAsciiDigit))
            {
                var n = int.Parse(name, System.Globalization.CultureInfo.InvariantCulture);
                return n < Matcher.MatchValues.Count ? Matcher.MatchValues[n] : null;
            }

            return GetVariable(name);
        });
    }

    public List<string> Expand(IReadOnlyList<SieveString> strings)
    {
        var list = new List<string>(strings.Count);
        foreach (var s in strings)
        {
            list.Add(Expand(s));
        }

        return list;
    }

    public string? GetVariable(string name)
    {
        if (Scope.Globals.Contains(name) || name.StartsWith("global.", StringComparison.OrdinalIgnoreCase))
        {
            var key = name.StartsWith("global.", StringComparison.OrdinalIgnoreCase) ? name[7..] : name;
            return GlobalVariables.GetValueOrDefault(key);
        }

        return Scope.Variables.GetValueOrDefault(name);
    }

    public void SetVariable(string name, string value, SievePosition at)
    {
        // RFC 5229 §6: implementations may limit the size of a variable; Pigeonhole truncates.
        if (value.Length > Limits.MaxVariableSize)
        {
            value = value[..Limits.MaxVariableSize];
        }

        var global = Scope.Globals.Contains(name) || name.StartsWith("global.", StringComparison.OrdinalIgnoreCase);
        var store = global ? GlobalVariables : Scope.Variables;
        var key = name.StartsWith("global.", StringComparison.OrdinalIgnoreCase) ? name[7..] : name;
        if (!store.ContainsKey(key) && store.Count >= Limits.MaxVariables)
        {
            throw new SieveRuntimeException($"too many variables (more than {Limits.MaxVariables})") { Position = at };
        }

        store[key] = value;
    }

    /// <summary>RFC 5228 §5.7 header values as a script compares them: unfolded, RFC 2047-decoded.</summary>
    public List<string> HeaderValues(string name, long? index, bool last)
    {
        var all = new List<string>();
        foreach (var h in Headers)
        {
            if (h.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                all.Add(h.Decoded);
            }
        }

        return SelectIndex(all, index, last);
    }

    /// <summary>RFC 5260 §6: :index N picks the Nth field (from the end with :last); none when out of range.</summary>
    public static List<T> SelectIndex<T>(List<T> all, long? index, bool last)
    {
        if (index is not { } i)
        {
            return all;
        }

        if (i < 1 || i > all.Count)
        {
            return [];
        }

        return [all[last ? all.Count - (int)i : (int)i - 1]];
    }

    /// <summary>The raw (unfolded, not decoded) values of a header, for address parsing.</summary>
    public List<string> RawHeaderValues(string name)
    {
        var all = new List<string>();
        foreach (var h in Headers)
        {
            if (h.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                all.Add(h.Value);
            }
        }

        return all;
    }

    /// <summary>The addresses in header fields (groups flattened), RFC 5228 §5.1.</summary>
    public static IEnumerable<MailboxAddress> Addresses(string value) => AddressParser.ParseMailboxes(value);
}
