namespace MailAppliance.Storage.Accounts;

/// <summary>Why a directory change was refused. Each maps to one clear line for the admin.</summary>
public enum DirectoryError
{
    InvalidAddress,
    UnknownDomain,
    DomainExists,
    DomainNotEmpty,
    AddressExists,
    UnknownUser,
    UnknownAlias,
    UnknownLocalTarget,
    AliasLoop,
    StillReferenced,
}

public sealed class DirectoryException : Exception
{
    public DirectoryException(DirectoryError error, string message)
        : base(message) => Error = error;

    public DirectoryException()
    {
    }

    public DirectoryException(string message)
        : base(message)
    {
    }

    public DirectoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DirectoryError Error { get; }
}
