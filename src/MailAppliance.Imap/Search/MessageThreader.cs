using System.Globalization;
using System.Text;
using MailAppliance.Storage.Mailstore;

namespace MailAppliance.Imap.Search;

/// <summary>
/// The THREAD algorithms of RFC 5256: ORDEREDSUBJECT (§3, by base subject then date) and REFERENCES (§3, the
/// References/In-Reply-To links, dummy parents pruned, root threads merged by base subject, every level ordered by
/// sent date). The result is written as RFC 5256 §4 thread-lists.
/// </summary>
public static class MessageThreader
{
    /// <summary>A node of a thread: a message (its number or UID as shown) or a dummy (a referenced message that is not here).</summary>
    public sealed class Node
    {
        public SortItem? Item { get; set; }

        public Node? Parent { get; set; }

        public List<Node> Children { get; } = [];

        public bool IsDummy => Item is null;

        /// <summary>RFC 5256 step 6: a dummy sorts by its first child.</summary>
        public SortItem? First => Item ?? Children.FirstOrDefault()?.First;
    }

    /// <summary>RFC 5256 ORDEREDSUBJECT.</summary>
    public static List<Node> OrderedSubject(IEnumerable<SortItem> items)
    {
        var sorted = MessageSorter.Sort(items, [new SortCriterion(SortKey.Subject, false), new SortCriterion(SortKey.Date, false)]);
        var roots = new List<Node>();
        Node? current = null;
        string? subject = null;
        foreach (var item in sorted)
        {
            var folded = UnicodeCasemap.Fold(item.Row.Keys.BaseSubject);
            var node = new Node { Item = item };
            if (current is not null && folded == subject)
            {
                node.Parent = current;
                current.Children.Add(node);
                continue;
            }

            current = node;
            subject = folded;
            roots.Add(node);
        }

        roots.Sort(CompareByDate);
        return roots;
    }

    /// <summary>RFC 5256 REFERENCES.</summary>
    public static List<Node> References(IReadOnlyList<SortItem> items)
    {
        // (1) A container per Message-ID; a message without one (or with one already taken) gets a unique id.
        var table = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var item in items.OrderBy(i => i.Index))
        {
            var id = item.Row.Keys.MessageId;
            if (id is null || (table.TryGetValue(id, out var existing) && !existing.IsDummy))
            {
                id = "\0" + item.Index.ToString(CultureInfo.InvariantCulture);
            }

            var node = table.TryGetValue(id, out var dummy) ? dummy : table[id] = new Node();
            node.Item = item;

            // (1B) link the references in order, each the parent of the next, where that makes no loop and the
            // child has no parent yet.
            Node? previous = null;
            foreach (var reference in item.Row.Keys.References)
            {
                var container = table.TryGetValue(reference, out var found) ? found : table[reference] = new Node();
                if (previous is not null && container.Parent is null && !IsAncestor(container, previous) && container != previous)
                {
                    Link(previous, container);
                }

                previous = container;
            }

            // (1C) the last reference is the message's parent, replacing any parent it had, unless that makes a loop.
            if (previous is not null && (previous == node || IsAncestor(node, previous)))
            {
                previous = null;
            }

            if (node.Parent is not null)
            {
                node.Parent.Children.Remove(node);
                node.Parent = null;
            }

            if (previous is not null)
            {
                Link(previous, node);
            }
        }

        // (2) the root set; (3) the table is no longer needed.
        var roots = table.Values.Where(n => n.Parent is null).ToList();

        // (4) prune dummies.
        roots = Prune(roots, atRoot: true);
        foreach (var root in roots)
        {
            SortTree(root);
        }

        // (5) gather root threads with the same base subject.
        roots = GroupBySubject(roots);

        // (6) sort.
        foreach (var root in roots)
        {
            SortTree(root);
        }

        roots.Sort(CompareByDate);
        return roots;
    }

    /// <summary>RFC 5256 §4: <c>(1 2)(3 (4)(5))</c>, with each message written by <paramref name="number"/>.</summary>
    public static string Format(IEnumerable<Node> roots, Func<SortItem, uint> number)
    {
        var text = new StringBuilder();
        foreach (var root in roots)
        {
            text.Append('(');
            WriteMembers(text, root, number);
            text.Append(')');
        }

        return text.ToString();
    }

    private static void WriteMembers(StringBuilder text, Node node, Func<SortItem, uint> number)
    {
        if (node.Item is { } item)
        {
            text.Append(number(item).ToString(CultureInfo.InvariantCulture));
        }

        if (node.Children.Count == 1)
        {
            if (node.Item is not null)
            {
                text.Append(' ');
            }

            WriteMembers(text, node.Children[0], number);
            return;
        }

        if (node.Children.Count > 1 && node.Item is not null)
        {
            text.Append(' ');
        }

        foreach (var child in node.Children)
        {
            text.Append('(');
            WriteMembers(text, child, number);
            text.Append(')');
        }
    }

    private static void Link(Node parent, Node child)
    {
        child.Parent = parent;
        parent.Children.Add(child);
    }

    private static bool IsAncestor(Node ancestor, Node node)
    {
        for (var p = node.Parent; p is not null; p = p.Parent)
        {
            if (p == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>RFC 5256 REFERENCES step 4: childless dummies go; a dummy's children take its place, except that at the root a dummy with several children stays.</summary>
    private static List<Node> Prune(List<Node> level, bool atRoot)
    {
        var result = new List<Node>();
        foreach (var node in level)
        {
            var children = Prune(node.Children, atRoot: false);
            node.Children.Clear();
            foreach (var child in children)
            {
                child.Parent = node;
                node.Children.Add(child);
            }

            if (!node.IsDummy)
            {
                result.Add(node);
            }
            else if (node.Children.Count == 0)
            {
                continue;
            }
            else if (atRoot && node.Children.Count > 1)
            {
                result.Add(node);
            }
            else
            {
                foreach (var child in node.Children)
                {
                    child.Parent = node.Parent;
                    result.Add(child);
                }
            }
        }

        return result;
    }

    /// <summary>RFC 5256 REFERENCES step 5.</summary>
    private static List<Node> GroupBySubject(List<Node> roots)
    {
        var table = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var (subject, reply) = SubjectOf(root);
            if (subject.Length == 0)
            {
                continue;
            }

            if (!table.TryGetValue(subject, out var current)
                || (root.IsDummy && !current.IsDummy)
                || (SubjectOf(current).Reply && !reply && !current.IsDummy))
            {
                table[subject] = root;
            }
        }

        var result = new List<Node>();
        var replaced = new Dictionary<Node, Node>();
        foreach (var root in roots)
        {
            var (subject, reply) = SubjectOf(root);
            if (subject.Length == 0 || !table.TryGetValue(subject, out var target) || target == root)
            {
                result.Add(root);
                continue;
            }

            while (replaced.TryGetValue(target, out var newer))
            {
                target = newer;
            }

            if (target.IsDummy && root.IsDummy)
            {
                foreach (var child in root.Children)
                {
                    Link(target, child);
                }
            }
            else if (target.IsDummy)
            {
                Link(target, root);
            }
            else if (reply && !SubjectOf(target).Reply)
            {
                Link(target, root);
            }
            else
            {
                // A new dummy holds both; it takes the table entry's place among the roots.
                var dummy = new Node();
                var at = result.IndexOf(target);
                Link(dummy, target);
                Link(dummy, root);
                replaced[target] = dummy;
                table[subject] = dummy;
                if (at >= 0)
                {
                    result[at] = dummy;
                }
            }
        }

        return result.Where(r => r.Parent is null).ToList();
    }

    private static (string Subject, bool Reply) SubjectOf(Node node)
    {
        var item = node.Item ?? node.Children.FirstOrDefault()?.Item;
        return item is null ? ("", false) : (UnicodeCasemap.Fold(item.Row.Keys.BaseSubject), item.Row.Keys.IsReplyOrForward);
    }

    private static void SortTree(Node node)
    {
        foreach (var child in node.Children)
        {
            SortTree(child);
        }

        node.Children.Sort(CompareByDate);
    }

    private static int CompareByDate(Node a, Node b)
    {
        var x = a.First;
        var y = b.First;
        if (x is null || y is null)
        {
            return (x is null).CompareTo(y is null);
        }

        var c = MessageSorter.SentDate(x.Row).UtcDateTime.CompareTo(MessageSorter.SentDate(y.Row).UtcDateTime);
        return c != 0 ? c : x.Index.CompareTo(y.Index);
    }
}
