using System.Globalization;

namespace MailAppliance.Pop3.Protocol;

/// <summary>
/// UIDL strings in the form Debian's Dovecot 2.3 sends by default (<c>pop3_uidl_format = %08Xu%08Xv</c>, written in
/// lower case): the UID and the UIDVALIDITY as 8 hex digits each. Both are stable across restarts and reconstruction,
/// so clients that leave mail on the server never download it twice, including after a move from Dovecot.
/// </summary>
public static class UniqueId
{
    /// <summary>Characters in every unique id.</summary>
    public const int Length = 16;

    public static string Format(uint uidValidity, uint uid) =>
        uid.ToString("x8", CultureInfo.InvariantCulture) + uidValidity.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The same id as <see cref="Format"/>, as ASCII into <paramref name="destination"/> (at least <see cref="Length"/> bytes).</summary>
    public static void Write(Span<byte> destination, uint uidValidity, uint uid)
    {
        uid.TryFormat(destination, out _, "x8", CultureInfo.InvariantCulture);
        uidValidity.TryFormat(destination[8..], out _, "x8", CultureInfo.InvariantCulture);
    }
}
