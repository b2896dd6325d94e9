using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Storage.Import;

/// <summary>
/// What an import remembers of a message, computed while its bytes stream by (nothing is held whole):
/// <list type="bullet">
/// <item>the content hash, SHA-256 of the bytes as stored: a second run of the same import finds it and adds
/// nothing (resumable);</item>
/// <item>the dedupe key for <c>--dedupe</c>: <c>mid:</c> and the Message-ID (RFC 5322 §3.6.4) when the message has
/// one, else <c>hash:</c> and a SHA-256 of the key headers (Date, From, To, Cc, Subject, unfolded) and the body, so
/// that one message delivered to three mailboxes, whose Received and Delivered-To headers differ, is one key.</item>
/// </list>
/// </summary>
public sealed class ImportFingerprint
{
    // Header lines longer than this are cut for the key (they are still hashed whole into the content hash).
    private const int MaxHeaderLine = 8 * 1024;
    private static readonly string[] KeyHeaders = ["date", "from", "to", "cc", "subject"];

    private readonly IncrementalHash _content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _body = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<byte> _line = new(256);
    private readonly SortedDictionary<string, string> _keyHeaders = new(StringComparer.Ordinal);
    private string? _currentName;
    private StringBuilder? _currentValue;
    private string? _messageId;
    private bool _inBody;
    private byte[]? _contentHash;
    private string? _dedupeKey;

    public long Length { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_contentHash is not null)
        {
            throw new InvalidOperationException("the fingerprint is complete");
        }

        _content.AppendData(data);
        Length += data.Length;
        if (_inBody)
        {
            _body.AppendData(data);
            return;
        }

        for (var i = 0; i < data.Length; i++)
        {
            var b = data[i];
            if (b != (byte)'\n')
            {
                if (_line.Count < MaxHeaderLine)
                {
                    _line.Add(b);
                }

                continue;
            }

            var line = _line.Count > 0 && _line[^1] == (byte)'\r' ? _line.GetRange(0, _line.Count - 1) : _line;
            if (line.Count == 0)
            {
                // RFC 5322 §2.1: an empty line ends the header; the rest is the body.
                EndHeaderField();
                _inBody = true;
                _line.Clear();
                _body.AppendData(data[(i + 1)..]);
                return;
            }

            HeaderLine(Encoding.Latin1.GetString(line.ToArray()));
            _line.Clear();
        }
    }

    /// <summary>SHA-256 of every byte written.</summary>
    public byte[] ContentHash => _contentHash ?? Complete().ContentHash;

    /// <summary>The key <c>--dedupe</c> compares.</summary>
    public string DedupeKey => _dedupeKey ?? Complete().DedupeKey;

    /// <summary>The Message-ID without its angle brackets, or null.</summary>
    public string? MessageId
    {
        get
        {
            Complete();
            return _messageId;
        }
    }

    private (byte[] ContentHash, string DedupeKey) Complete()
    {
        if (_contentHash is not null)
        {
            return (_contentHash, _dedupeKey!);
        }

        if (!_inBody && _line.Count > 0)
        {
            HeaderLine(Encoding.Latin1.GetString(_line.ToArray()));
        }

        EndHeaderField();
        _contentHash = _content.GetHashAndReset();
        if (_messageId is { Length: > 0 } id)
        {
            _dedupeKey = "mid:" + id;
        }
        else
        {
            var keyed = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var (name, value) in _keyHeaders)
            {
                keyed.AppendData(Encoding.UTF8.GetBytes(name + ":" + value + "\n"));
            }

            keyed.AppendData(_body.GetHashAndReset());
            _dedupeKey = "hash:" + Convert.ToHexStringLower(keyed.GetHashAndReset());
        }

        return (_contentHash, _dedupeKey);
    }

    private void HeaderLine(string line)
    {
        if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
        {
            // RFC 5322 §2.2.3: a folded line continues the field above it.
            _currentValue?.Append(' ').Append(line.Trim());
            return;
        }

        EndHeaderField();
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return;
        }

        _currentName = line[..colon].Trim().ToLowerInvariant();
        _currentValue = new StringBuilder(line[(colon + 1)..].Trim());
    }

    private void EndHeaderField()
    {
        if (_currentName is null || _currentValue is null)
        {
            return;
        }

        var value = _currentValue.ToString().Trim();
        if (_currentName == "message-id" && _messageId is null)
        {
            _messageId = NormalizeMessageId(value);
        }
        else if (Array.IndexOf(KeyHeaders, _currentName) >= 0 && !_keyHeaders.ContainsKey(_currentName))
        {
            _keyHeaders[_currentName] = string.Join(' ', value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        }

        _currentName = null;
        _currentValue = null;
    }

    /// <summary>The msg-id between its angle brackets (RFC 5322 §3.6.4), comments and spaces around it dropped.</summary>
    public static string? NormalizeMessageId(string value)
    {
        var open = value.IndexOf('<', StringComparison.Ordinal);
        var close = open < 0 ? -1 : value.IndexOf('>', open + 1);
        var id = open >= 0 && close > open ? value[(open + 1)..close] : value;
        id = id.Trim();
        return id.Length == 0 ? null : id;
    }
}
