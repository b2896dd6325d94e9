namespace MailAppliance.Mime.Builder;

/// <summary>One recipient's block of a delivery status notification (RFC 3464 §2.3).</summary>
/// <param name="FinalRecipient">The recipient address (written as "rfc822; address").</param>
/// <param name="Action">failed, delayed, delivered, relayed or expanded.</param>
/// <param name="Status">Enhanced status code, e.g. "5.1.1" (RFC 3463).</param>
/// <param name="RemoteMta">The remote MTA host, or null.</param>
/// <param name="DiagnosticCode">The SMTP reply, e.g. "550 5.1.1 user unknown", or null.</param>
/// <param name="OriginalRecipient">ORCPT address, or null.</param>
public sealed record DeliveryStatusRecipient(string FinalRecipient, string Action, string Status, string? RemoteMta = null, string? DiagnosticCode = null, string? OriginalRecipient = null);
