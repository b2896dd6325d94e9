using MailAppliance.Pipeline.Sieve;
using static MailAppliance.Pipeline.Tests.Sieve.SieveTestKit;

namespace MailAppliance.Pipeline.Tests.Sieve;

/// <summary>Lexer, parser and compiler: positions in errors, limits before parsing.</summary>
public sealed class SieveLanguageTests
{
    [Theory]
    [InlineData("keep", 1, 5, "expected end of command")]
    [InlineData("require \"fileinto\";\nif true {\n  fileinto \"x\" \"y\";\n}", 3, 16, "expects 1 positional argument")]
    [InlineData("if header :is \"a\" \"b\" { keep; }\nelse { keep; }\nelse { keep; }", 3, 1, "must follow an if or elsif")]
    [InlineData("/* never closed", 1, 16, "end of file before end of bracket comment")]
    [InlineData("keep;\n  stop 5;", 2, 8, "expects no positional arguments")]
    [InlineData("if header :bogus \"a\" \"b\" { keep; }", 1, 11, "unknown tagged argument ':bogus'")]
    [InlineData("require \"regex\";\nif header :regex \"a\" \"(\" { keep; }", 2, 4, "invalid regular expression")]
    public void Errors_name_line_and_column(string script, int line, int column, string text)
    {
        var result = SieveCompiler.Compile("s", script);
        Assert.False(result.Succeeded);
        var error = result.Errors.First();
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(text, error.Message);
    }

    [Fact]
    public void Numbers_take_quantifiers_and_multiline_strings_unstuff_dots()
    {
        var tokens = SieveLexer.Tokenize("size :over 2K text:\r\n..x\r\ny\r\n.\r\n", out var error);
        Assert.Null(error);
        Assert.Equal(2048, tokens[2].Number);
        Assert.Equal(".x\r\ny\r\n", tokens[3].Text);
    }

    [Fact]
    public void Scripts_over_the_size_limit_are_refused_before_parsing()
    {
        var result = SieveCompiler.Compile("s", new string('#', 2000), new SieveLimits { MaxScriptSize = 1000 });
        Assert.Contains("too large", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Nesting_is_capped()
    {
        var deep = string.Concat(Enumerable.Repeat("if true {", 40)) + string.Concat(Enumerable.Repeat("}", 40));
        Assert.Contains("nested deeper", SieveCompiler.Compile("s", deep).Errors.First().Message);
    }

    [Fact]
    public void The_cache_compiles_a_script_once()
    {
        var cache = new SieveScriptCache();
        Assert.Same(cache.GetOrCompile("a", "keep;").Script, cache.GetOrCompile("a", "keep;").Script);
    }

    [Fact]
    public async Task Too_many_redirects_fail_the_run_and_keep_the_message()
    {
        var result = await RunAsync("redirect \"a@x.test\"; redirect \"b@x.test\"; redirect \"c@x.test\"; redirect \"d@x.test\"; redirect \"e@x.test\";");
        Assert.True(result.Failed);
        Assert.Empty(result.Actions);
        Assert.Equal("INBOX", result.ImplicitKeep!.Folder);
        Assert.Contains("redirect", result.Diagnostics.Single().Message);
        Assert.Equal(1, result.Diagnostics.Single().Line);
    }

    [Fact]
    public async Task The_instruction_limit_stops_a_run()
    {
        var script = "require \"variables\";\n" + string.Concat(Enumerable.Repeat("set \"a\" \"b\";\n", 200));
        var result = await RunAsync(script, limits: new SieveLimits { MaxInstructions = 100 });
        Assert.True(result.Failed);
        Assert.Contains("instructions", result.Diagnostics.Single().Message);
    }

    [Fact]
    public async Task Regex_time_outs_are_runtime_errors()
    {
        var message = Message.Replace("Quarterly report", new string('a', 5000) + "!", StringComparison.Ordinal);
        var result = await RunAsync("require [\"regex\", \"fileinto\"];\nif header :regex \"subject\" \"^(a+)+$\" { fileinto \"x\"; }", message,
            limits: new SieveLimits { RegexTimeout = TimeSpan.FromMilliseconds(20) });
        Assert.True(result.Failed);
        Assert.Contains("regular expression", result.Diagnostics.Single().Message);
    }
}
