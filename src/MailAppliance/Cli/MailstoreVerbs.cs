using MailAppliance.Storage.Durability;
using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Cli;

/// <summary><c>reconstruct [--user ADDRESS | --all]</c>: rebuild the index from the maildir tree.</summary>
public static class MailstoreVerbs
{
    public static async Task Reconstruct(AdminContext c)
    {
        var one = c.Command.Value("--user");
        var all = c.Command.Has("--all");
        if (c.Arguments.Count != 0 || (one is null) == !all)
        {
            throw new UsageException("usage: reconstruct --user ADDRESS | --all");
        }

        var users = await c.Directory.ListUsersAsync(null, c.CancellationToken);
        if (one is not null)
        {
            var address = MailAddress.TryParse(one, out var parsed, out var error) ? parsed : throw new DirectoryException(DirectoryError.InvalidAddress, error);
            users = users.Where(u => MailAddress.Parse(u.Address).Key == address.Key).ToList();
            if (users.Count == 0)
            {
                throw new DirectoryException(DirectoryError.UnknownUser, $"unknown user {address}");
            }
        }

        var store = new MailStore(c.Database, new MailstoreOptions(c.Options.Storage.DataDirectory) { SyncMode = c.Options.Storage.SyncMode }, TimeProvider.System, NullLogger<MailStore>.Instance);
        var results = new List<object>();
        foreach (var user in users)
        {
            var progress = new StderrProgress(c.Progress, user.Address);
            var report = await store.ReconstructUserAsync(new MailUser(user.Id, MailAddress.Parse(user.Address)), progress, c.CancellationToken);
            results.Add(new { address = user.Address, folders = report.Folders, messages = report.Messages, newUids = report.NewUids, parsed = report.Parsed });
            if (!c.Output.Json)
            {
                c.Output.Line(string.Create(CultureInfo.InvariantCulture,
                    $"reconstructed {user.Address}: {report.Folders} folders, {report.Messages} messages ({report.NewUids} new UIDs)"));
            }
        }

        if (c.Output.Json)
        {
            c.Output.Done("", results);
        }
    }

    /// <summary>Progress for long runs, on stderr (stdout stays the result), at most a few lines a second.</summary>
    private sealed class StderrProgress(TextWriter writer, string address) : IProgress<ReconstructProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(ReconstructProgress value)
        {
            var now = DateTime.UtcNow;
            if (now - _last < TimeSpan.FromMilliseconds(500) && value.FoldersDone < value.FoldersTotal)
            {
                return;
            }

            _last = now;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"reconstruct {address}: {value.FoldersDone}/{value.FoldersTotal} folders, {value.MessagesIndexed} messages ({value.Folder})"));
        }
    }
}
