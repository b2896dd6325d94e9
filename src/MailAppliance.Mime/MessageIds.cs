namespace MailAppliance.Mime;

/// <summary>Message-ID, In-Reply-To and References values (RFC 5322 §3.6.4), parsed forgivingly.</summary>
public static class MessageIds
{
    /// <summary>
    /// Every msg-id in the value, without angle brackets, in order. Text outside brackets (comments, phrases that
    /// obsolete In-Reply-To allows) is ignored; a value with no brackets at all yields its first word.
    /// </summary>
    public static IReadOnlyList<string> ParseList(string? value)
    {
        var ids = new List<string>();
        if (string.IsNullOrWhiteSpace(value))
        {
            return ids;
        }

        var t = new HeaderTokenizer(value);
        while (!t.AtEnd)
        {
            var c = t.Peek;
            if (c == '(')
            {
                t.ReadComment();
            }
            else if (c == '"')
            {
                t.ReadQuoted();
            }
            else if (c == '<')
            {
                var rest = t.Rest;
                var close = rest.IndexOf('>');
                var id = close < 0 ? rest[1..] : rest[1..close];
                t.Position += close < 0 ? rest.Length : close + 1;
                var clean = string.Concat(id.ToString().Where(ch => !char.IsWhiteSpace(ch)));
                if (clean.Length > 0)
                {
                    ids.Add(clean);
                }
            }
            else
            {
                t.Position++;
            }
        }

        if (ids.Count == 0)
        {
            var t2 = new HeaderTokenizer(value);
            t2.SkipCfws();
            var word = t2.Rest.ToString().Split(' ', '\t', '\r', '\n')[0];
            if (word.Length > 0)
            {
                ids.Add(word);
            }
        }

        return ids;
    }

    /// <summary>The single msg-id of a Message-ID value without brackets, or null.</summary>
    public static string? Parse(string? value) => ParseList(value) is { Count: > 0 } l ? l[0] : null;
}
