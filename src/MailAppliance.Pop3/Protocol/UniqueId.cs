using System.Globalization;

namespace MailAppliance.Pop3.Protocol;

/// <summary>
/// UIDL strings in the form Debian's Dovecot 2.3 sends by default (<c>pop3_uidl_format = %08Xu%08Xv</c>, written in
/// lower case): the UID and the UIDVALIDITY as 8 hex digits each. Both are stable across restarts and reconstruction,
/// so clients that leave mail on the server never download it twice, including after a move from Dovecot.
/// </summary>
public static class UniqueId
{
    public static string Format(uint uidValidity, uint uid) =>
        uid.ToString("x8", CultureInfo.InvariantCulture) + uidValidity.ToString("x8", CultureInfo.InvariantCulture);
}
