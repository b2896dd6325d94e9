namespace MailAppliance.Cli;

/// <summary>The command was understood but could not be carried out (exit 1, the message on stderr).</summary>
public sealed class CommandFailedException : Exception
{
    public CommandFailedException(string message)
        : base(message)
    {
    }

    public CommandFailedException()
    {
    }

    public CommandFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
