using System.Text;
using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>One case: the connection, the identities, the results allowed, and the explanation if one is expected.</summary>
public sealed record SpfCase(string Name, string Helo, string Host, string MailFrom, string[] Results, string? Explanation = null);

/// <summary>A group of cases over one set of zone data.</summary>
public sealed record SpfGroup(string Name, Action<LoopbackDnsServer> Zone, SpfCase[] Cases);

/// <summary>
/// The cases of the openspf/pyspf RFC 7208 test suite (release 2014.04), written out again here as C# from the
/// facts they state: zone data, connection, identities and the result RFC 7208 requires. Where the suite accepts
/// two results, both are listed. Records the suite publishes as type SPF are published as TXT unless the name
/// has TXT records of its own, as the suite's drivers do.
/// </summary>
public static partial class SpfSuite
{
    private const string Long63 = "a12345678901234567890123456789012345678901234567890123456789012";

    public static IReadOnlyList<SpfGroup> Groups => [.. Basics, .. Mechanisms, .. Modifiers];

    private static readonly SpfGroup[] Basics =
    [
        new("initial-processing", dns =>
        {
            dns.Hang("example.com", subdomains: false)
               .Txt("example.net", "v=spf1 -all exp=exp.example.net")
               .Txt("a.example.net", "v=spf1 -all exp=exp.example.net")
               .Txt("exp.example.net", "%{l}")
               .Txt(Long63 + ".example.com", "v=spf1 -all")
               .Txt("hosed.example.com", "v=spf1 a:\uFEFFgarbage.example.net -all");
            RawTxt(dns, "hosed2.example.com", [.. "v=spf1 "u8, 0x80, .. "a:example.net -all"u8]);
            RawTxt(dns, "hosed3.example.com", [.. "v=spf1 a:example.net "u8, 0x96, .. "all"u8]);
            dns.Txt("nothosed.example.com", "v=spf1 a:example.net -all");
            RawTxt(dns, "nothosed.example.com", [0x96]);
            dns.Txt("ctrl.example.com", "v=spf1 a:ctrl.example.com\rptr -all").A("ctrl.example.com", "192.0.2.3")
               .Txt("fine.example.com", "v=spf1 a  -all");
        },
        [
            new("toolonglabel", "mail.example.net", "1.2.3.5", "lyme.eater@A123456789012345678901234567890123456789012345678901234567890123.example.com", ["none"]),
            new("longlabel", "mail.example.net", "1.2.3.5", "lyme.eater@A12345678901234567890123456789012345678901234567890123456789012.example.com", ["fail"]),
            new("emptylabel", "mail.example.net", "1.2.3.5", "lyme.eater@A...example.com", ["none"]),
            new("helo-not-fqdn", "A2345678", "1.2.3.5", "", ["none"]),
            new("helo-domain-literal", "[1.2.3.5]", "1.2.3.5", "", ["none"]),
            new("nolocalpart", "mail.example.net", "1.2.3.4", "@example.net", ["fail"], "postmaster"),
            new("domain-literal", "OEMCOMPUTER", "1.2.3.5", "foo@[1.2.3.5]", ["none"]),
            new("non-ascii-policy", "hosed", "1.2.3.4", "foobar@hosed.example.com", ["permerror"]),
            new("non-ascii-mech", "hosed", "1.2.3.4", "foobar@hosed2.example.com", ["permerror"]),
            new("non-ascii-result", "hosed", "1.2.3.4", "foobar@hosed3.example.com", ["permerror"]),
            new("non-ascii-non-spf", "hosed", "1.2.3.4", "foobar@nothosed.example.com", ["fail"]),
            new("control-char-policy", "hosed", "192.0.2.3", "foobar@ctrl.example.com", ["permerror"]),
            new("two-spaces", "hosed", "1.2.3.4", "actually@fine.example.com", ["fail"]),
        ]),

        new("record-lookup", dns =>
        {
            dns.Txt("both.example.net", "v=spf1 -all");
            SpfType(dns, "both.example.net", "v=spf1 -all");
            dns.Txt("txtonly.example.net", "v=spf1 -all");
            SpfType(dns, "spfonly.example.net", "v=spf1 -all");
            dns.Txt("spftimeout.example.net", "v=spf1 -all").Hang("spftimeout.example.net", DnsType.SPF, subdomains: false);
            SpfType(dns, "txttimeout.example.net", "v=spf1 -all");
            dns.Hang("txttimeout.example.net", DnsType.TXT, subdomains: false);
            SpfType(dns, "nospftxttimeout.example.net", "v=spf3 !a:yahoo.com -all");
            dns.Hang("nospftxttimeout.example.net", DnsType.TXT, subdomains: false).Hang("alltimeout.example.net", subdomains: false);
        },
        [
            new("both", "mail.example.net", "1.2.3.4", "foo@both.example.net", ["fail"]),
            new("txtonly", "mail.example.net", "1.2.3.4", "foo@txtonly.example.net", ["fail"]),
            new("spfonly", "mail.example.net", "1.2.3.4", "foo@spfonly.example.net", ["none"]),
            new("spftimeout", "mail.example.net", "1.2.3.4", "foo@spftimeout.example.net", ["fail"]),
            new("txttimeout", "mail.example.net", "1.2.3.4", "foo@txttimeout.example.net", ["temperror"]),
            new("nospftxttimeout", "mail.example.net", "1.2.3.4", "foo@nospftxttimeout.example.net", ["temperror"]),
            new("alltimeout", "mail.example.net", "1.2.3.4", "foo@alltimeout.example.net", ["temperror"]),
        ]),

        new("selecting-records", dns =>
        {
            dns.Txt("example3.com", "v=spf10").Txt("example3.com", "v=spf1 mx").Mx("example3.com", 0, "mail.example1.com")
               .Txt("example1.com", "v=spf1")
               .TxtStrings("example2.com", "v=spf1", "mx")
               .A("mail.example1.com", "1.2.3.4")
               .Txt("example4.com", "v=spf1 -all")
               .Txt("example5.com", "v=spf1 -all").Txt("example5.com", "v=spf1 +all")
               .Txt("example6.com", "v=spf1 -all").Txt("example6.com", "V=sPf1 +all")
               .Txt("example7.com", "v=spf1 -all").Txt("example7.com", "v=spf1 -all")
               .Txt("example8.com", "v=spf1 +all")
               .Txt("example9.com", "v=SpF1 ~all");
            SpfType(dns, "example4.com", "v=spf1 +all");
            SpfType(dns, "example5.com", "v=spf1 +all");
            SpfType(dns, "example8.com", "V=spf1 -all");
            SpfType(dns, "example8.com", "v=spf1 -all");
        },
        [
            new("nospace1", "mail.example1.com", "1.2.3.4", "foo@example2.com", ["none"]),
            new("empty", "mail1.example1.com", "1.2.3.4", "foo@example1.com", ["neutral"]),
            new("nospace2", "mail.example1.com", "1.2.3.4", "foo@example3.com", ["pass"]),
            new("spfoverride", "mail.example1.com", "1.2.3.4", "foo@example4.com", ["fail"]),
            new("multitxt1", "mail.example1.com", "1.2.3.4", "foo@example5.com", ["permerror"]),
            new("multitxt2", "mail.example1.com", "1.2.3.4", "foo@example6.com", ["permerror"]),
            new("multispf1", "mail.example1.com", "1.2.3.4", "foo@example7.com", ["permerror", "fail"]),
            new("multispf2", "mail.example1.com", "1.2.3.4", "foo@example8.com", ["pass"]),
            new("nospf", "mail.example1.com", "1.2.3.4", "foo@mail.example1.com", ["none"]),
            new("case-insensitive", "mail.example1.com", "1.2.3.4", "foo@example9.com", ["softfail"]),
        ]),

        new("record-evaluation", dns => dns
            .A("mail.example.com", "1.2.3.4")
            .Txt("t1.example.com", "v=spf1 ip4:1.2.3.4 -all moo")
            .Txt("t2.example.com", "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all")
            .Txt("t3.example.com", "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all")
            .Txt("t4.example.com", "v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all")
            .Txt("t5.example.com", "v=spf1 redirect=t5.example.com ~all")
            .Txt("t6.example.com", "v=spf1 ip4:1.2.3.4 redirect=t2.example.com")
            .Txt("t7.example.com", "v=spf1 ip4:1.2.3.4")
            .Txt("t8.example.com", "v=spf1 ip4:1.2.3.4 redirect:t2.example.com")
            .Txt("t9.example.com", "v=spf1 a:foo-bar -all")
            .Txt("t10.example.com", "v=spf1 a:mail.example...com -all")
            .Txt("t11.example.com", "v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123.example.com -all")
            .Txt("t12.example.com", "v=spf1 a:%{H}.bar -all"),
        [
            new("detect-errors-anywhere", "mail.example.com", "1.2.3.4", "foo@t1.example.com", ["permerror"]),
            new("modifier-charset-good", "mail.example.com", "1.2.3.4", "foo@t2.example.com", ["pass"]),
            new("modifier-charset-bad1", "mail.example.com", "1.2.3.4", "foo@t3.example.com", ["permerror"]),
            new("modifier-charset-bad2", "mail.example.com", "1.2.3.4", "foo@t4.example.com", ["permerror"]),
            new("redirect-after-mechanisms1", "mail.example.com", "1.2.3.4", "foo@t5.example.com", ["softfail"]),
            new("redirect-after-mechanisms2", "mail.example.com", "1.2.3.5", "foo@t6.example.com", ["fail"]),
            new("default-result", "mail.example.com", "1.2.3.5", "foo@t7.example.com", ["neutral"]),
            new("redirect-is-modifier", "mail.example.com", "1.2.3.4", "foo@t8.example.com", ["permerror"]),
            new("invalid-domain", "mail.example.com", "1.2.3.4", "foo@t9.example.com", ["permerror"]),
            new("invalid-domain-empty-label", "mail.example.com", "1.2.3.4", "foo@t10.example.com", ["fail", "permerror"]),
            new("invalid-domain-long", "mail.example.com", "1.2.3.4", "foo@t11.example.com", ["fail", "permerror"]),
            new("invalid-domain-long-via-macro", "%%%%%%%%%%%%%%%%%%%%%%", "1.2.3.4", "foo@t12.example.com", ["fail", "permerror"]),
        ]),

        new("all-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4")
            .Txt("e1.example.com", "v=spf1 -all.")
            .Txt("e2.example.com", "v=spf1 -all:foobar")
            .Txt("e3.example.com", "v=spf1 -all/8")
            .Txt("e4.example.com", "v=spf1 ?all")
            .Txt("e5.example.com", "v=spf1 all -all"),
        [
            new("all-dot", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["permerror"]),
            new("all-arg", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["permerror"]),
            new("all-cidr", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["permerror"]),
            new("all-neutral", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["neutral"]),
            new("all-double", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["pass"]),
        ]),

    ];

    private static void RawTxt(LoopbackDnsServer dns, string name, byte[] text) => dns.Record(name, DnsType.TXT, [(byte)text.Length, .. text]);

    private static void SpfType(LoopbackDnsServer dns, string name, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        dns.Record(name, DnsType.SPF, [(byte)bytes.Length, .. bytes]);
    }
}
