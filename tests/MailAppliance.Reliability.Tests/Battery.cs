namespace MailAppliance.Reliability.Tests;

/// <summary>Short form (the suite) or long form (RELIABILITY_FULL=1, scripts/reliability.sh) of the battery.</summary>
internal static class Battery
{
    public static bool Full => Environment.GetEnvironmentVariable("RELIABILITY_FULL") == "1";

    /// <summary>Cases per property: RELIABILITY_PROPERTY_TESTS, else 200 (short) or 5,000 (long).</summary>
    public static int PropertyCases =>
        int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_PROPERTY_TESTS"), out var n) && n > 0 ? n : Full ? 5000 : 200;

    /// <summary>Scales a count for the long form.</summary>
    public static int Scale(int shortForm, int longForm) => Full ? longForm : shortForm;
}
