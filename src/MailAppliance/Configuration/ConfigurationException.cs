namespace MailAppliance.Configuration;

/// <summary>A configuration value that cannot be used; the message names the key and is shown as one line.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string key, string problem)
        : base($"invalid configuration: {key}: {problem}") => Key = key;

    public ConfigurationException()
    {
        Key = "";
    }

    public ConfigurationException(string message)
        : base(message)
    {
        Key = "";
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = "";
    }

    public string Key { get; }
}
