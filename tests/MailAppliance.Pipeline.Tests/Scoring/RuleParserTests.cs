using MailAppliance.Pipeline.Scoring.Rules;

namespace MailAppliance.Pipeline.Tests.Scoring;

public sealed class RuleParserTests
{
    private static RuleParser.Parsed Parse(string text) => RuleParser.Parse(text, "local.cf", BuiltInEvals.Names);

    [Fact]
    public void SpamAssassin_style_rules_are_read()
    {
        var parsed = Parse("""
            # a comment
            header   SUBJ_VIAGRA   Subject =~ /v[i1]agra/i
            header   NO_UA         User-Agent !~ /./ [if-unset: ]
            header   FROM_ADDR     From:addr =~ m{\@cheap\.test$}
            header   HAS_XM        exists:X-Mailer
            body     MONEY         /\bmillion dollars\b/i
            rawbody  FONT_TAG      /<font\b/i
            uri      SHORTENER     /^https?:\/\/bit\.ly\//
            meta     COMBO         (SUBJ_VIAGRA && MONEY) || SHORTENER > 0
            score    SUBJ_VIAGRA   2.5
            describe SUBJ_VIAGRA   Subject mentions a drug
            tflags   SUBJ_VIAGRA   noautolearn
            """);
        Assert.Equal(8, parsed.Rules.Count);
        Assert.Equal(2.5, parsed.Scores["SUBJ_VIAGRA"]);
        Assert.Equal("Subject mentions a drug", parsed.Descriptions["SUBJ_VIAGRA"]);
        var from = parsed.Rules.Single(r => r.Name == "FROM_ADDR");
        Assert.Equal(HeaderForm.Address, from.HeaderForm);
        Assert.Matches(from.Pattern!, "x@cheap.test");
        Assert.True(parsed.Rules.Single(r => r.Name == "NO_UA").Negated);
    }

    [Theory]
    [InlineData("body BROKEN /unclosed(/", 1, "bad regex")]
    [InlineData("\n\nheader NOPAT Subject", 3, "needs '=~'")]
    [InlineData("score X notanumber", 1, "score needs a number")]
    [InlineData("bodyy X /a/", 1, "unknown directive 'bodyy'")]
    [InlineData("header X eval:no_such_test()", 1, "unknown eval function")]
    [InlineData("meta X (A && ", 1, "meta expression")]
    [InlineData("body X /a/q", 1, "unknown regex flag")]
    [InlineData("body X /a/ trailing", 1, "unexpected 'trailing'")]
    public void A_bad_rule_is_an_error_naming_file_and_line(string text, int line, string message)
    {
        var e = Assert.Throws<RulesException>(() => Parse(text));
        Assert.StartsWith($"local.cf:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Admin_rules_replace_built_in_ones_and_meta_cycles_are_refused()
    {
        var set = RuleParser.Combine(BuiltInRules.Parse(), Parse("score GTUBE 500\nbody MISSING_DATE /never/"));
        Assert.Equal(500, set.ScoreOf("GTUBE"));
        Assert.Equal(RuleKind.Body, set.Rules.Single(r => r.Name == "MISSING_DATE").Kind);

        var e = Assert.Throws<RulesException>(() => RuleParser.Combine(Parse("meta A B\nmeta B A")));
        Assert.Contains("depends on itself", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_expressions_follow_SpamAssassin_precedence()
    {
        Assert.True(MetaExpression.TryParse("A + B + C >= 2 && !D", out var e, out _));
        Assert.Equal(1, e!.Evaluate(n => n is "A" or "C" ? 1 : 0));
        Assert.Equal(0, e.Evaluate(n => n is "A" or "C" or "D" ? 1 : 0));
        Assert.Equal(0, e.Evaluate(n => n is "A" ? 1 : 0));
    }
}
