namespace MailAppliance.Storage.Nodes;

/// <summary>
/// Scratch space per node under a shared <c>tmp/</c> directory (<c>tmp/imap/&lt;node&gt;/</c>): a node writes only
/// into its own, and start-up clears only its own and those of dead nodes, never a live peer's file in progress.
/// </summary>
public static class NodeScratch
{
    /// <summary>This node's scratch directory under <paramref name="root"/>, created; what dead nodes left there goes.</summary>
    public static string Prepare(string root, NodeIdentity node)
    {
        Directory.CreateDirectory(root);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root))
        {
            var name = Path.GetFileName(entry);
            if (name == node.Id || (Directory.Exists(entry) && node.IsPeerAlive(name)))
            {
                continue;
            }

            // A dead node's directory, or a file of a version that wrote here directly: nothing refers to it any more.
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        var mine = Path.Combine(root, node.Id);
        Directory.CreateDirectory(mine);
        return mine;
    }
}
