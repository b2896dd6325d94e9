using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Srs;
using Microsoft.Extensions.Configuration;

namespace MailAppliance.Configuration;

/// <summary>The pipeline's keys: <c>Srs:*</c> and <c>Spam:*</c>.</summary>
public static partial class OptionsReader
{
    private static SrsOptions ReadSrs(IConfiguration configuration, string hostname, string dataDirectory)
    {
        var domain = Blank(configuration["Srs:Domain"]) ?? hostname;
        if (!DomainName.TryParse(domain, out var parsed, out var error))
        {
            throw new ConfigurationException("Srs:Domain", error);
        }

        var secretFile = Blank(configuration["Srs:SecretFile"]) ?? Path.Combine(dataDirectory, "srs.secret");
        return new SrsOptions(
            parsed.Ascii,
            Path.IsPathFullyQualified(secretFile) ? secretFile : Path.GetFullPath(secretFile),
            (int)Integer(configuration, "Srs:MaxAgeDays", SrsOptions.DefaultMaxAgeDays, 1, 1000));
    }
}
