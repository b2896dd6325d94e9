using System.Text;
using MailAppliance.Pipeline.Checks;

namespace MailAppliance.Pipeline.Tests.Checks;

public sealed class SpamCheckTests
{
    [Fact]
    public void Authentication_Results_fields_claiming_our_name_are_found_folded_or_not_and_others_are_left()
    {
        var ours1 = "Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=bank.test\r\n";
        var ours2 = "authentication-results:  MX.Example.Test.;\r\n\tdkim=pass header.d=bank.test\r\n";
        var block = "Received: from a\r\n\tby b\r\n" + ours1 + "Authentication-Results: other.test; spf=fail\r\n" + ours2
            + "Subject: Authentication-Results: mx.example.test; none\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n";
        var ranges = SpamCheck.ForgedFields(Encoding.ASCII.GetBytes(block), "mx.example.test");
        Assert.Equal(2, ranges.Count);
        Assert.Equal(ours1, block.Substring((int)ranges[0].Offset, (int)ranges[0].Length));
        Assert.Equal(ours2, block.Substring((int)ranges[1].Offset, (int)ranges[1].Length));
    }

    [Fact]
    public void A_header_block_without_an_end_and_bare_LF_lines_are_read_to_their_end()
    {
        var block = "Subject: x\nAuthentication-Results: mx.example.test; spf=pass";
        var ranges = SpamCheck.ForgedFields(Encoding.ASCII.GetBytes(block), "mx.example.test");
        Assert.Equal("Authentication-Results: mx.example.test; spf=pass", block.Substring((int)Assert.Single(ranges).Offset));
    }

    [Fact]
    public void A_long_X_Spam_Status_is_folded_after_commas_of_its_tests_and_short_ones_are_left()
    {
        Assert.Equal("X-Spam-Score: 1.4", SpamCheck.Fold("X-Spam-Score: 1.4"));
        var tests = string.Join(',', Enumerable.Range(0, 12).Select(i => $"SYMBOL_NUMBER_{i}"));
        var folded = SpamCheck.Fold($"X-Spam-Status: Yes, score=7.5 required=5.0 tests={tests}");
        var lines = folded.Split("\r\n");
        Assert.StartsWith("X-Spam-Status: Yes, score=7.5 required=5.0 tests=SYMBOL_NUMBER_0,", lines[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= 78, l));
        Assert.All(lines.Skip(1), l => Assert.StartsWith("\t", l, StringComparison.Ordinal));
        Assert.Equal($"X-Spam-Status: Yes, score=7.5 required=5.0 tests={tests}", folded.Replace("\r\n\t", "", StringComparison.Ordinal));
    }
}
