using Microsoft.Extensions.Configuration;

namespace MailAppliance.Configuration;

/// <summary>
/// Builds the configuration in the documented order: <c>appsettings.json</c> beside the binary, then the file given
/// with <c>--config</c>, then environment variables prefixed <c>MAILAPPLIANCE_</c> (<c>__</c> separates sections).
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "MAILAPPLIANCE_";

    public static IConfigurationRoot Load(string? configFile, IDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false);
        if (!string.IsNullOrEmpty(configFile))
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new ConfigurationException("--config", $"file '{full}' does not exist");
            }

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        try
        {
            return builder.Build();
        }
        catch (InvalidDataException e)
        {
            // A JSON syntax error: say which file, in one line.
            throw new ConfigurationException("--config", e.Message.ReplaceLineEndings(" "));
        }
        catch (FormatException e)
        {
            throw new ConfigurationException("--config", e.Message.ReplaceLineEndings(" "));
        }
    }
}
