using System.Globalization;
using System.Text;

namespace MailAppliance.Storage.Reports;

/// <summary>How an event reads in a table row (the CLI) or a console line: what happened beyond kind and addresses.</summary>
public static class ReportText
{
    public static string Detail(ReportEvent e)
    {
        var text = new StringBuilder();
        void Add(string? part)
        {
            if (!string.IsNullOrEmpty(part))
            {
                text.Append(text.Length == 0 ? "" : "; ").Append(part);
            }
        }

        switch (e.Kind)
        {
            case ReportKind.Accepted:
                Add(e.ClientIp is null ? null : "from " + e.ClientIp);
                Add(e.MessageId is null ? null : "message-id " + e.MessageId);
                break;
            case ReportKind.Delivered:
                Add(e.Folder is null ? null : "folder " + e.Folder);
                Add(e.Reply);
                break;
            case ReportKind.Forwarded:
                Add(e.Target is null ? null : "to " + e.Target);
                Add(e.SrsSender is null ? null : "as " + e.SrsSender);
                Add(e.Reply);
                break;
            default:
                Add(e.Reply);
                break;
        }

        Add(e.Reason);
        if (e.Verdict is { } verdict)
        {
            Add(ReportStore.Name(verdict));
        }

        if (e.Score is { } score)
        {
            Add(e.Threshold is { } threshold
                ? string.Create(CultureInfo.InvariantCulture, $"score {score:0.0}/{threshold:0.0}")
                : string.Create(CultureInfo.InvariantCulture, $"score {score:0.0}"));
        }

        if (e.Symbols is { Count: > 0 } symbols)
        {
            Add(string.Join(",", symbols.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Name}({s.Score:0.##})"))));
        }

        if (e.Kind == ReportKind.Rejected && e.ClientIp is not null)
        {
            Add("from " + e.ClientIp);
        }

        return text.ToString();
    }
}
