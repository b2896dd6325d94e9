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
public static class SpfSuite
{
    private const string Long63 = "a12345678901234567890123456789012345678901234567890123456789012";

    public static readonly SpfGroup[] Groups =
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

        new("ptr-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4").Aaaa("mail.example.com", "2001:db8::1")
            .Txt("e1.example.com", "v=spf1 ptr/0 -all")
            .Txt("e2.example.com", "v=spf1 ptr:example.com -all")
            .Ptr("4.3.2.1.in-addr.arpa", "e3.example.com").Ptr("4.3.2.1.in-addr.arpa", "e4.example.com").Ptr("4.3.2.1.in-addr.arpa", "mail.example.com")
            .Ptr(System.Net.IPAddress.Parse("cafe:babe::1"), "e3.example.com")
            .Ptr(System.Net.IPAddress.Parse("2001:db8::1"), "mail.Example.com")
            .Txt("e3.example.com", "v=spf1 ptr -all").A("e3.example.com", "1.2.3.4").Aaaa("e3.example.com", "CAFE:BABE::1")
            .Txt("e4.example.com", "v=spf1 ptr -all")
            .Txt("e5.example.com", "v=spf1 ptr:")
            .Txt("e6.example.com", "v=spf1 ptr:example.Com -all"),
        [
            new("ptr-cidr", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["permerror"]),
            new("ptr-match-target", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["pass"]),
            new("ptr-match-implicit", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["pass"]),
            new("ptr-nomatch-invalid", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["fail"]),
            new("ptr-match-ip6", "mail.example.com", "CAFE:BABE::1", "foo@e3.example.com", ["pass"]),
            new("ptr-empty-domain", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["permerror"]),
            new("ptr-case-change", "mail.example.com", "2001:db8::1", "bar@e6.example.com", ["pass"]),
        ]),

        new("a-mechanism", dns =>
        {
            dns.A("mail.example.com", "1.2.3.4")
               .Txt("e1.example.com", "v=spf1 a/0 -all")
               .A("e2.example.com", "1.1.1.1").Aaaa("e2.example.com", "1234::2").Txt("e2.example.com", "v=spf1 a/0 -all")
               .Aaaa("e2a.example.com", "1234::1").Txt("e2a.example.com", "v=spf1 a//0 -all")
               .A("e2b.example.com", "1.1.1.1").Txt("e2b.example.com", "v=spf1 a//0 -all")
               .Aaaa("ipv6.example.com", "1234::1").A("ipv6.example.com", "1.1.1.1").Txt("ipv6.example.com", "v=spf1 a -all")
               .Txt("e3.example.com", "v=spf1 a:foo.example.com\0")
               .Txt("e4.example.com", "v=spf1 a:111.222.33.44")
               .Txt("e5.example.com", "v=spf1 a:abc.123")
               .Txt("e5a.example.com", "v=spf1 a:museum")
               .Txt("e5b.example.com", "v=spf1 a:museum.")
               .Txt("e6.example.com", "v=spf1 a//33 -all")
               .Txt("e6a.example.com", "v=spf1 a/33 -all")
               .Txt("e7.example.com", "v=spf1 a//129 -all");
            foreach (var (name, record) in new[] { ("e8", "v=spf1 a/24//64 -all"), ("e8e", "v=spf1 a/24/64 -all"), ("e8a", "v=spf1 a/24 -all"), ("e8b", "v=spf1 a//64 -all") })
            {
                dns.A(name + ".example.com", "1.2.3.5").Aaaa(name + ".example.com", "2001:db8:1234::dead:beef").Txt(name + ".example.com", record);
            }

            dns.Txt("e9.example.com", "v=spf1 a:example.com:8080")
               .Txt("e10.example.com", "v=spf1 a:foo.example.com/24")
               .A("foo.example.com", "1.1.1.1").A("foo.example.com", "1.2.3.5")
               .Txt("e11.example.com", "v=spf1 a:foo:bar/baz.example.com")
               .A("foo:bar/baz.example.com", "1.2.3.4")
               .Txt("e12.example.com", "v=spf1 a:example.-com")
               .Txt("e13.example.com", "v=spf1 a:")
               .Txt("e14.example.com", "v=spf1 a:foo.example.xn--zckzah -all")
               .A("foo.example.xn--zckzah", "1.2.3.4");
        },
        [
            new("a-cidr6", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["fail"]),
            new("a-bad-cidr4", "mail.example.com", "1.2.3.4", "foo@e6a.example.com", ["permerror"]),
            new("a-bad-cidr6", "mail.example.com", "1.2.3.4", "foo@e7.example.com", ["permerror"]),
            new("a-dual-cidr-ip4-match", "mail.example.com", "1.2.3.4", "foo@e8.example.com", ["pass"]),
            new("a-dual-cidr-ip4-err", "mail.example.com", "1.2.3.4", "foo@e8e.example.com", ["permerror"]),
            new("a-dual-cidr-ip6-match", "mail.example.com", "2001:db8:1234::cafe:babe", "foo@e8.example.com", ["pass"]),
            new("a-dual-cidr-ip4-default", "mail.example.com", "1.2.3.4", "foo@e8b.example.com", ["fail"]),
            new("a-dual-cidr-ip6-default", "mail.example.com", "2001:db8:1234::cafe:babe", "foo@e8a.example.com", ["fail"]),
            new("a-multi-ip1", "mail.example.com", "1.2.3.4", "foo@e10.example.com", ["pass"]),
            new("a-bad-domain", "mail.example.com", "1.2.3.4", "foo@e9.example.com", ["permerror"]),
            new("a-nxdomain", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["fail"]),
            new("a-cidr4-0", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["pass"]),
            new("a-cidr4-0-ip6", "mail.example.com", "1234::1", "foo@e2.example.com", ["fail"]),
            new("a-cidr6-0-ip4", "mail.example.com", "1.2.3.4", "foo@e2a.example.com", ["fail"]),
            new("a-cidr6-0-ip4mapped", "mail.example.com", "::FFFF:1.2.3.4", "foo@e2a.example.com", ["fail"]),
            new("a-cidr6-0-ip6", "mail.example.com", "1234::1", "foo@e2a.example.com", ["pass"]),
            new("a-ip6-dualstack", "mail.example.com", "1234::1", "foo@ipv6.example.com", ["pass"]),
            new("a-cidr6-0-nxdomain", "mail.example.com", "1234::1", "foo@e2b.example.com", ["fail"]),
            new("a-null", "mail.example.com", "1.2.3.5", "foo@e3.example.com", ["permerror"]),
            new("a-numeric", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["permerror"]),
            new("a-numeric-toplabel", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["permerror"]),
            new("a-dash-in-toplabel", "mail.example.com", "1.2.3.4", "foo@e14.example.com", ["pass"]),
            new("a-bad-toplabel", "mail.example.com", "1.2.3.4", "foo@e12.example.com", ["permerror"]),
            new("a-only-toplabel", "mail.example.com", "1.2.3.4", "foo@e5a.example.com", ["permerror"]),
            new("a-only-toplabel-trailing-dot", "mail.example.com", "1.2.3.4", "foo@e5b.example.com", ["permerror"]),
            new("a-colon-domain", "mail.example.com", "1.2.3.4", "foo@e11.example.com", ["pass"]),
            new("a-colon-domain-ip4mapped", "mail.example.com", "::FFFF:1.2.3.4", "foo@e11.example.com", ["pass"]),
            new("a-empty-domain", "mail.example.com", "1.2.3.4", "foo@e13.example.com", ["permerror"]),
        ]),

        new("include-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4")
            .Txt("ip5.example.com", "v=spf1 ip4:1.2.3.5 -all")
            .Txt("ip6.example.com", "v=spf1 ip4:1.2.3.6 ~all")
            .Txt("ip7.example.com", "v=spf1 ip4:1.2.3.7 ?all")
            .Hang("ip8.example.com", subdomains: false)
            .Txt("erehwon.example.com", "v=spfl am not an SPF record")
            .Txt("e1.example.com", "v=spf1 include:ip5.example.com ~all")
            .Txt("e2.example.com", "v=spf1 include:ip6.example.com all")
            .Txt("e3.example.com", "v=spf1 include:ip7.example.com -all")
            .Txt("e4.example.com", "v=spf1 include:ip8.example.com -all")
            .Txt("e5.example.com", "v=spf1 include:e6.example.com -all")
            .Txt("e6.example.com", "v=spf1 include +all")
            .Txt("e7.example.com", "v=spf1 include:erehwon.example.com -all")
            .Txt("e8.example.com", "v=spf1 include: -all")
            .Txt("e9.example.com", "v=spf1 include:ip5.example.com/24 -all"),
        [
            new("include-fail", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["softfail"]),
            new("include-softfail", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["pass"]),
            new("include-neutral", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["fail"]),
            new("include-temperror", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["temperror"]),
            new("include-permerror", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["permerror"]),
            new("include-syntax-error", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["permerror"]),
            new("include-cidr", "mail.example.com", "1.2.3.4", "foo@e9.example.com", ["permerror"]),
            new("include-none", "mail.example.com", "1.2.3.4", "foo@e7.example.com", ["permerror"]),
            new("include-empty-domain", "mail.example.com", "1.2.3.4", "foo@e8.example.com", ["permerror"]),
        ]),

        new("mx-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4").NullMx("mail.example.com").Txt("mail.example.com", "v=spf1 mx")
            .Txt("e1.example.com", "v=spf1 mx/0 -all").Mx("e1.example.com", 0, "e1.example.com")
            .A("e2.example.com", "1.1.1.1").Aaaa("e2.example.com", "1234::2").Mx("e2.example.com", 0, "e2.example.com").Txt("e2.example.com", "v=spf1 mx/0 -all")
            .Aaaa("e2a.example.com", "1234::1").Mx("e2a.example.com", 0, "e2a.example.com").Txt("e2a.example.com", "v=spf1 mx//0 -all")
            .A("e2b.example.com", "1.1.1.1").Mx("e2b.example.com", 0, "e2b.example.com").Txt("e2b.example.com", "v=spf1 mx//0 -all")
            .Txt("e3.example.com", "v=spf1 mx:foo.example.com\0")
            .Txt("e4.example.com", "v=spf1 mx").A("e4.example.com", "1.2.3.4")
            .Txt("e5.example.com", "v=spf1 mx:abc.123")
            .Txt("e6.example.com", "v=spf1 mx//33 -all")
            .Txt("e6a.example.com", "v=spf1 mx/33 -all")
            .Txt("e7.example.com", "v=spf1 mx//129 -all")
            .Txt("e9.example.com", "v=spf1 mx:example.com:8080")
            .Txt("e10.example.com", "v=spf1 mx:foo.example.com/24")
            .Mx("foo.example.com", 0, "foo1.example.com")
            .A("foo1.example.com", "1.1.1.1").A("foo1.example.com", "1.2.3.5")
            .Txt("e11.example.com", "v=spf1 mx:foo:bar/baz.example.com")
            .Mx("foo:bar/baz.example.com", 0, "foo:bar/baz.example.com").A("foo:bar/baz.example.com", "1.2.3.4")
            .Txt("e12.example.com", "v=spf1 mx:example.-com")
            .Txt("e13.example.com", "v=spf1 mx: -all"),
        [
            new("mx-cidr6", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["fail"]),
            new("mx-bad-cidr4", "mail.example.com", "1.2.3.4", "foo@e6a.example.com", ["permerror"]),
            new("mx-bad-cidr6", "mail.example.com", "1.2.3.4", "foo@e7.example.com", ["permerror"]),
            new("mx-multi-ip1", "mail.example.com", "1.2.3.4", "foo@e10.example.com", ["pass"]),
            new("mx-bad-domain", "mail.example.com", "1.2.3.4", "foo@e9.example.com", ["permerror"]),
            new("mx-nxdomain", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["fail"]),
            new("mx-cidr4-0", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["pass"]),
            new("mx-cidr4-0-ip6", "mail.example.com", "1234::1", "foo@e2.example.com", ["fail"]),
            new("mx-cidr6-0-ip4", "mail.example.com", "1.2.3.4", "foo@e2a.example.com", ["fail"]),
            new("mx-cidr6-0-ip4mapped", "mail.example.com", "::FFFF:1.2.3.4", "foo@e2a.example.com", ["fail"]),
            new("mx-cidr6-0-ip6", "mail.example.com", "1234::1", "foo@e2a.example.com", ["pass"]),
            new("mx-cidr6-0-nxdomain", "mail.example.com", "1234::1", "foo@e2b.example.com", ["fail"]),
            new("mx-null", "mail.example.com", "1.2.3.5", "foo@e3.example.com", ["permerror"]),
            new("mx-numeric-top-label", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["permerror"]),
            new("mx-colon-domain", "mail.example.com", "1.2.3.4", "foo@e11.example.com", ["pass"]),
            new("mx-colon-domain-ip4mapped", "mail.example.com", "::FFFF:1.2.3.4", "foo@e11.example.com", ["pass"]),
            new("mx-bad-toplab", "mail.example.com", "1.2.3.4", "foo@e12.example.com", ["permerror"]),
            new("mx-empty", "mail.example.com", "1.2.3.4", "", ["neutral"]),
            new("mx-implicit", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["neutral"]),
            new("mx-empty-domain", "mail.example.com", "1.2.3.4", "foo@e13.example.com", ["permerror"]),
        ]),

        new("exists-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4")
            .Aaaa("mail6.example.com", "CAFE:BABE::4")
            .Hang("err.example.com", subdomains: false)
            .Txt("e1.example.com", "v=spf1 exists:")
            .Txt("e2.example.com", "v=spf1 exists")
            .Txt("e3.example.com", "v=spf1 exists:mail.example.com/24")
            .Txt("e4.example.com", "v=spf1 exists:mail.example.com")
            .Txt("e5.example.com", "v=spf1 exists:mail6.example.com -all")
            .Txt("e6.example.com", "v=spf1 exists:err.example.com -all"),
        [
            new("exists-empty-domain", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["permerror"]),
            new("exists-implicit", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["permerror"]),
            new("exists-cidr", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["permerror"]),
            new("exists-ip4", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["pass"]),
            new("exists-ip6", "mail.example.com", "CAFE:BABE::3", "foo@e4.example.com", ["pass"]),
            new("exists-ip6only", "mail.example.com", "CAFE:BABE::3", "foo@e5.example.com", ["fail"]),
            new("exists-dnserr", "mail.example.com", "CAFE:BABE::3", "foo@e6.example.com", ["temperror"]),
        ]),

        new("ip4-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4")
            .Txt("e1.example.com", "v=spf1 ip4:1.1.1.1/0 -all")
            .Txt("e2.example.com", "v=spf1 ip4:1.2.3.4/32 -all")
            .Txt("e3.example.com", "v=spf1 ip4:1.2.3.4/33 -all")
            .Txt("e4.example.com", "v=spf1 ip4:1.2.3.4/032 -all")
            .Txt("e5.example.com", "v=spf1 ip4")
            .Txt("e6.example.com", "v=spf1 ip4:1.2.3.4//32")
            .Txt("e7.example.com", "v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4")
            .Txt("e8.example.com", "v=spf1 ip4:1.2.3.4:8080")
            .Txt("e9.example.com", "v=spf1 ip4:1.2.3"),
        [
            new("cidr4-0", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["pass"]),
            new("cidr4-32", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["pass"]),
            new("cidr4-33", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["permerror"]),
            new("cidr4-032", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["permerror"]),
            new("bare-ip4", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["permerror"]),
            new("bad-ip4-port", "mail.example.com", "1.2.3.4", "foo@e8.example.com", ["permerror"]),
            new("bad-ip4-short", "mail.example.com", "1.2.3.4", "foo@e9.example.com", ["permerror"]),
            new("ip4-dual-cidr", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["permerror"]),
            new("ip4-mapped-ip6", "mail.example.com", "::FFFF:1.2.3.4", "foo@e7.example.com", ["fail"]),
        ]),

        new("ip6-mechanism", dns => dns
            .A("mail.example.com", "1.2.3.4")
            .Txt("e1.example.com", "v=spf1 -all ip6")
            .Txt("e2.example.com", "v=spf1 ip6:::1.1.1.1/0")
            .Txt("e3.example.com", "v=spf1 ip6:::1.1.1.1/129")
            .Txt("e4.example.com", "v=spf1 ip6:::1.1.1.1//33")
            .Txt("e5.example.com", "v=spf1 ip6:Cafe:Babe:8000::/33")
            .Txt("e6.example.com", "v=spf1 ip6::CAFE::BABE"),
        [
            new("bare-ip6", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["permerror"]),
            new("cidr6-0-ip4", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["neutral"]),
            new("cidr6-ip4", "mail.example.com", "::FFFF:1.2.3.4", "foo@e2.example.com", ["neutral"]),
            new("cidr6-0", "mail.example.com", "DEAF:BABE::CAB:FEE", "foo@e2.example.com", ["pass"]),
            new("cidr6-129", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["permerror"]),
            new("cidr6-bad", "mail.example.com", "1.2.3.4", "foo@e4.example.com", ["permerror"]),
            new("cidr6-33", "mail.example.com", "CAFE:BABE:8000::", "foo@e5.example.com", ["pass"]),
            new("cidr6-33-ip4", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["neutral"]),
            new("ip6-bad1", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["permerror"]),
        ]),

        new("modifiers", dns =>
        {
            dns.A("mail.example.com", "1.2.3.4")
               .Txt("e1.example.com", "v=spf1 exp=exp1.example.com redirect=e2.example.com")
               .Txt("e2.example.com", "v=spf1 -all")
               .Txt("e3.example.com", "v=spf1 exp=exp1.example.com redirect=e4.example.com")
               .Txt("e4.example.com", "v=spf1 -all exp=exp2.example.com")
               .Txt("exp1.example.com", "No-see-um")
               .Txt("exp2.example.com", "See me.")
               .Txt("exp3.example.com", "Correct!")
               .Txt("exp4.example.com", "%{l} in implementation")
               .Txt("e5.example.com", "v=spf1 1up=foo")
               .Txt("e6.example.com", "v=spf1 =all")
               .Txt("e7.example.com", "v=spf1 include:e3.example.com -all exp=exp3.example.com")
               .Txt("e8.example.com", "v=spf1 -all exp=exp4.example.com")
               .Txt("e9.example.com", "v=spf1 -all foo=%abc")
               .Txt("e10.example.com", "v=spf1 redirect=erehwon.example.com")
               .Txt("e11.example.com", "v=spf1 -all exp=e11msg.example.com")
               .Txt("e11msg.example.com", "Answer a fool according to his folly.")
               .Txt("e11msg.example.com", "Do not answer a fool according to his folly.")
               .Txt("e12.example.com", "v=spf1 exp= -all")
               .Txt("e13.example.com", "v=spf1 exp=e13msg.example.com -all")
               .Txt("e13msg.example.com", "The %{x}-files.")
               .Txt("e14.example.com", "v=spf1 exp=e13msg.example.com -all exp=e11msg.example.com")
               .Txt("e15.example.com", "v=spf1 redirect=e12.example.com -all redirect=e12.example.com")
               .Txt("e16.example.com", "v=spf1 exp=-all")
               .Txt("e17.example.com", "v=spf1 redirect=-all ?all")
               .Txt("e18.example.com", "v=spf1 ?all redirect=")
               .Txt("e19.example.com", "v=spf1 default=pass")
               .Txt("e20.example.com", "v=spf1 default=+")
               .Txt("e21.example.com", "v=spf1 exp=e21msg.example.com -all")
               .Hang("e21msg.example.com", subdomains: false)
               .Txt("e22.example.com", "v=spf1 exp=mail.example.com -all")
               .Txt("nonascii.example.com", "v=spf1 exp=badexp.example.com -all")
               .Txt("badexp.example.com", "\uFEFFExplanation")
               .Txt("tworecs.example.com", "v=spf1 exp=twoexp.example.com -all")
               .Txt("twoexp.example.com", "one").Txt("twoexp.example.com", "two")
               .Txt("e23.example.com", "v=spf1 a:erehwon.example.com a:foobar.com exp=nxdomain.com -all")
               .Txt("e24.example.com", "v=spf1 redirect=testimplicit.example.com").A("e24.example.com", "192.0.2.1")
               .Txt("testimplicit.example.com", "v=spf1 a -all").A("testimplicit.example.com", "192.0.2.2");
        },
        [
            new("redirect-none", "mail.example.com", "1.2.3.4", "foo@e10.example.com", ["permerror"]),
            new("redirect-cancels-exp", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["fail"], ""),
            new("redirect-syntax-error", "mail.example.com", "1.2.3.4", "foo@e17.example.com", ["permerror"]),
            new("include-ignores-exp", "mail.example.com", "1.2.3.4", "foo@e7.example.com", ["fail"], "Correct!"),
            new("redirect-cancels-prior-exp", "mail.example.com", "1.2.3.4", "foo@e3.example.com", ["fail"], "See me."),
            new("invalid-modifier", "mail.example.com", "1.2.3.4", "foo@e5.example.com", ["permerror"]),
            new("empty-modifier-name", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["permerror"]),
            new("dorky-sentinel", "mail.example.com", "1.2.3.4", "Macro Error@e8.example.com", ["fail"], "Macro Error in implementation"),
            new("exp-multiple-txt", "mail.example.com", "1.2.3.4", "foo@e11.example.com", ["fail"], ""),
            new("exp-no-txt", "mail.example.com", "1.2.3.4", "foo@e22.example.com", ["fail"], ""),
            new("exp-dns-error", "mail.example.com", "1.2.3.4", "foo@e21.example.com", ["fail"], ""),
            new("exp-empty-domain", "mail.example.com", "1.2.3.4", "foo@e12.example.com", ["permerror"]),
            new("explanation-syntax-error", "mail.example.com", "1.2.3.4", "foo@e13.example.com", ["fail"], ""),
            new("exp-syntax-error", "mail.example.com", "1.2.3.4", "foo@e16.example.com", ["permerror"]),
            new("exp-twice", "mail.example.com", "1.2.3.4", "foo@e14.example.com", ["permerror"]),
            new("redirect-empty-domain", "mail.example.com", "1.2.3.4", "foo@e18.example.com", ["permerror"]),
            new("redirect-twice", "mail.example.com", "1.2.3.4", "foo@e15.example.com", ["permerror"]),
            new("unknown-modifier-syntax", "mail.example.com", "1.2.3.4", "foo@e9.example.com", ["permerror"]),
            new("default-modifier-obsolete", "mail.example.com", "1.2.3.4", "foo@e19.example.com", ["neutral"]),
            new("default-modifier-obsolete2", "mail.example.com", "1.2.3.4", "foo@e20.example.com", ["neutral"]),
            new("non-ascii-exp", "hosed", "1.2.3.4", "foobar@nonascii.example.com", ["fail"], ""),
            new("two-exp-records", "hosed", "1.2.3.4", "foobar@tworecs.example.com", ["fail"], ""),
            new("exp-void", "mail.example.com", "1.2.3.4", "foo@e23.example.com", ["fail"]),
            new("redirect-implicit", "e24.example.com", "192.0.2.2", "bar@e24.example.com", ["pass"]),
        ]),

        new("macros", dns =>
        {
            dns.Txt("example.com.d.spf.example.com", "v=spf1 redirect=a.spf.example.com")
               .Txt("a.spf.example.com", "v=spf1 include:o.spf.example.com. ~all")
               .Txt("o.spf.example.com", "v=spf1 ip4:192.168.218.40")
               .A("msgbas2x.cos.example.com", "192.168.218.40")
               .A("example.com", "192.168.90.76").Txt("example.com", "v=spf1 redirect=%{d}.d.spf.example.com.")
               .Txt("exp.example.com", "v=spf1 exp=msg.example.com. -all")
               .Txt("msg.example.com", "This is a test.")
               .Txt("e1.example.com", "v=spf1 -exists:%(ir).sbl.example.com ?all")
               .Txt("e1e.example.com", "v=spf1 exists:foo%(ir).sbl.example.com ?all")
               .Txt("e1t.example.com", "v=spf1 exists:foo%.sbl.example.com ?all")
               .Txt("e1a.example.com", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all")
               .A("macro%percent  space%20url-space.example.com", "1.2.3.4")
               .Txt("e2.example.com", "v=spf1 -all exp=%{r}.example.com")
               .Txt("e3.example.com", "v=spf1 -all exp=%{ir}.example.com")
               .Txt("40.218.168.192.example.com", "Connections from %{c} not authorized.")
               .Txt("somewhat.long.exp.example.com", "v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com")
               .Txt(string.Concat(Enumerable.Repeat("somewhat.long.exp.example.com.", 8)) + "example.com", "Congratulations!  That was tricky.")
               .Txt("e4.example.com", "v=spf1 -all exp=e4msg.example.com")
               .Txt("e4msg.example.com", "%{c} is queried as %{ir}.%{v}.arpa")
               .Txt("e5.example.com", "v=spf1 a:%{a}.example.com -all")
               .Txt("e6.example.com", "v=spf1 -all exp=e6msg.example.com")
               .Txt("e6msg.example.com", "connect from %{p}")
               .A("mx.example.com", "192.168.218.41").A("mx.example.com", "192.168.218.42")
               .Aaaa("mx.example.com", "CAFE:BABE::2").Aaaa("mx.example.com", "CAFE:BABE::3")
               .Ptr("40.218.168.192.in-addr.arpa", "mx.example.com")
               .Ptr("41.218.168.192.in-addr.arpa", "mx.example.com")
               .Ptr("42.218.168.192.in-addr.arpa", "mx.example.com").Ptr("42.218.168.192.in-addr.arpa", "mx.e7.example.com")
               .Ptr(System.Net.IPAddress.Parse("cafe:babe::1"), "mx.example.com")
               .Ptr(System.Net.IPAddress.Parse("cafe:babe::3"), "mx.example.com")
               .A("mx.e7.example.com", "192.168.218.42")
               .A("mx.e7.example.com.should.example.com", "127.0.0.2")
               .A("mx.example.com.ok.example.com", "127.0.0.2")
               .Txt("e7.example.com", "v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com")
               .Txt("e8.example.com", "v=spf1 -all exp=msg8.%{D2}")
               .Txt("msg8.example.com", "http://example.com/why.html?l=%{L}")
               .Txt("e9.example.com", "v=spf1 a:%{H} -all")
               .Txt("e10.example.com", "v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all")
               .Txt("_spfh.example.com", "v=spf1 -a:%{h} +all")
               .Txt("e11.example.com", "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}")
               .A("1.2.3.4.gladstone.philip.user.example.com", "127.0.0.2")
               .Txt("e12.example.com", "v=spf1 exists:%{l2r+-}.user.%{d2}")
               .A("bar.foo.user.example.com", "127.0.0.2");
        },
        [
            new("trailing-dot-domain", "msgbas2x.cos.example.com", "192.168.218.40", "test@example.com", ["pass"]),
            new("trailing-dot-exp", "msgbas2x.cos.example.com", "192.168.218.40", "test@exp.example.com", ["fail"], "This is a test."),
            new("exp-only-macro-char", "msgbas2x.cos.example.com", "192.168.218.40", "test@e2.example.com", ["permerror"]),
            new("invalid-macro-char", "msgbas2x.cos.example.com", "192.168.218.40", "test@e1.example.com", ["permerror"]),
            new("invalid-embedded-macro-char", "msgbas2x.cos.example.com", "192.168.218.40", "test@e1e.example.com", ["permerror"]),
            new("invalid-trailing-macro-char", "msgbas2x.cos.example.com", "192.168.218.40", "test@e1t.example.com", ["permerror"]),
            new("macro-mania-in-domain", "mail.example.com", "1.2.3.4", "test@e1a.example.com", ["pass"]),
            new("exp-txt-macro-char", "msgbas2x.cos.example.com", "192.168.218.40", "test@e3.example.com", ["fail"], "Connections from 192.168.218.40 not authorized."),
            new("domain-name-truncation", "msgbas2x.cos.example.com", "192.168.218.40", "test@somewhat.long.exp.example.com", ["fail"], "Congratulations!  That was tricky."),
            new("v-macro-ip4", "msgbas2x.cos.example.com", "192.168.218.40", "test@e4.example.com", ["fail"], "192.168.218.40 is queried as 40.218.168.192.in-addr.arpa"),
            new("v-macro-ip6", "msgbas2x.cos.example.com", "CAFE:BABE::1", "test@e4.example.com", ["fail"], "cafe:babe::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.E.B.A.B.E.F.A.C.ip6.arpa"),
            new("undef-macro", "msgbas2x.cos.example.com", "CAFE:BABE::192.168.218.40", "test@e5.example.com", ["permerror"]),
            new("p-macro-ip4-novalid", "msgbas2x.cos.example.com", "192.168.218.40", "test@e6.example.com", ["fail"], "connect from unknown"),
            new("p-macro-ip4-valid", "msgbas2x.cos.example.com", "192.168.218.41", "test@e6.example.com", ["fail"], "connect from mx.example.com"),
            new("p-macro-ip6-novalid", "msgbas2x.cos.example.com", "CAFE:BABE::1", "test@e6.example.com", ["fail"], "connect from unknown"),
            new("p-macro-ip6-valid", "msgbas2x.cos.example.com", "CAFE:BABE::3", "test@e6.example.com", ["fail"], "connect from mx.example.com"),
            new("p-macro-multiple", "msgbas2x.cos.example.com", "192.168.218.42", "test@e7.example.com", ["pass", "softfail"]),
            new("upper-macro", "msgbas2x.cos.example.com", "192.168.218.42", "~jack&jill=up-a_b3.c@e8.example.com", ["fail"], "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c"),
            new("hello-macro", "msgbas2x.cos.example.com", "192.168.218.40", "test@e9.example.com", ["pass"]),
            new("invalid-hello-macro", "JUMPIN' JUPITER", "192.168.218.40", "test@e9.example.com", ["fail"]),
            new("hello-domain-literal", "[192.168.218.40]", "192.168.218.40", "test@e9.example.com", ["fail"]),
            new("require-valid-helo", "OEMCOMPUTER", "1.2.3.4", "test@e10.example.com", ["fail"]),
            new("macro-reverse-split-on-dash", "mail.example.com", "1.2.3.4", "philip-gladstone-test@e11.example.com", ["pass"]),
            new("macro-multiple-delimiters", "mail.example.com", "1.2.3.4", "foo-bar+zip+quux@e12.example.com", ["pass"]),
        ]),

        new("processing-limits", dns =>
        {
            dns.A("mail.example.com", "1.2.3.4")
               .Txt("e1.example.com", "v=spf1 ip4:1.1.1.1 redirect=e1.example.com").A("e1.example.com", "1.2.3.6")
               .Txt("e2.example.com", "v=spf1 include:e3.example.com").A("e2.example.com", "1.2.3.7")
               .Txt("e3.example.com", "v=spf1 include:e2.example.com").A("e3.example.com", "1.2.3.8")
               .Txt("e4.example.com", "v=spf1 mx").A("e4.example.com", "1.2.3.5");
            for (ushort i = 0; i < 10; i++)
            {
                dns.Mx("e4.example.com", i, "mail.example.com");
            }

            dns.Mx("e4.example.com", 10, "e4.example.com")
               .Txt("e5.example.com", "v=spf1 ptr").A("e5.example.com", "1.2.3.5");
            foreach (var name in new[] { "e1", "e2", "e3", "e4", "", "e6", "e7", "e8", "e9", "e10", "e5" })
            {
                dns.Ptr("5.3.2.1.in-addr.arpa", name.Length == 0 ? "example.com." : name + ".example.com.");
            }

            dns.Txt("e6.example.com", "v=spf1 a mx a mx a mx a mx a ptr ip4:1.2.3.4 -all").A("e6.example.com", "1.2.3.8").Mx("e6.example.com", 10, "e6.example.com")
               .Txt("e7.example.com", "v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all").A("e7.example.com", "1.2.3.20")
               .Txt("e8.example.com", "v=spf1 a include:inc.example.com ip4:1.2.3.4 mx -all").A("e8.example.com", "1.2.3.4")
               .Txt("inc.example.com", "v=spf1 a a a a a a a a").A("inc.example.com", "1.2.3.10")
               .Txt("e9.example.com", "v=spf1 a include:inc.example.com a ip4:1.2.3.4 -all").A("e9.example.com", "1.2.3.21")
               .Txt("e10.example.com", "v=spf1 a -all");
            for (var i = 1; i <= 12; i++)
            {
                dns.A("e10.example.com", $"1.2.3.{i}");
            }

            dns.Txt("e11.example.com", "v=spf1 a:err.example.com a:err1.example.com a:err2.example.com ?all")
               .Txt("e12.example.com", "v=spf1 a:err.example.com a:err1.example.com ?all");
        },
        [
            new("redirect-loop", "mail.example.com", "1.2.3.4", "foo@e1.example.com", ["permerror"]),
            new("include-loop", "mail.example.com", "1.2.3.4", "foo@e2.example.com", ["permerror"]),
            new("mx-limit", "mail.example.com", "1.2.3.5", "foo@e4.example.com", ["permerror"]),
            new("ptr-limit", "mail.example.com", "1.2.3.5", "foo@e5.example.com", ["neutral", "pass"]),
            new("false-a-limit", "mail.example.com", "1.2.3.12", "foo@e10.example.com", ["pass"]),
            new("mech-at-limit", "mail.example.com", "1.2.3.4", "foo@e6.example.com", ["pass"]),
            new("mech-over-limit", "mail.example.com", "1.2.3.4", "foo@e7.example.com", ["permerror"]),
            new("include-at-limit", "mail.example.com", "1.2.3.4", "foo@e8.example.com", ["pass"]),
            new("include-over-limit", "mail.example.com", "1.2.3.4", "foo@e9.example.com", ["permerror"]),
            new("void-at-limit", "mail.example.com", "1.2.3.4", "foo@e12.example.com", ["neutral"]),
            new("void-over-limit", "mail.example.com", "1.2.3.4", "foo@e11.example.com", ["permerror"]),
        ]),

        new("implementation-bugs", dns => dns
            .Txt("example.org", "v=spf1 mx redirect=_spf.example.com")
            .Mx("example.org", 10, "smtp.example.org").Mx("example.org", 10, "smtp1.example.com")
            .A("smtp.example.org", "198.51.100.2").Aaaa("smtp.example.org", "2001:db8:ff0:100::3")
            .A("smtp1.example.com", "192.0.2.26").Aaaa("smtp1.example.com", "2001:db8:ff0:200::2")
            .Ptr(System.Net.IPAddress.Parse("2001:db8:ff0:100::2"), "smtp6-v.fe.example.org")
            .Aaaa("smtp6-v.fe.example.org", "2001:db8:ff0:100::2")
            .Txt("_spf.example.com", "v=spf1 ptr:fe.example.org ptr:sgp.example.com exp=_expspf.example.org -all")
            .Txt("_expspf.example.org", "Sender domain not allowed from this host. Please see http://www.openspf.org/Why?s=mfrom&id=%{S}&ip=%{C}&r=%{R}"),
        [
            new("bytes-bug", "example.org", "2001:db8:ff0:100::2", "test@example.org", ["pass"]),
        ]),

        // RFC 7208 Appendix A: the zone of A.1 and the records its examples evaluate, one domain per record.
        new("rfc7208-appendix-a", dns =>
        {
            foreach (var zone in new[] { "example.com", "a.example.com", "a2.example.com", "mx.example.com", "mx2.example.com", "mx3.example.com", "mx4.example.com", "ptr.example.com", "ip4.example.com" })
            {
                dns.Mx(zone, 10, "mail-a.example.com").Mx(zone, 20, "mail-b.example.com");
            }

            dns.A("example.com", "192.0.2.10").A("a.example.com", "192.0.2.10")
               .A("amy.example.com", "192.0.2.65").A("bob.example.com", "192.0.2.66")
               .A("mail-a.example.com", "192.0.2.129").A("mail-b.example.com", "192.0.2.130")
               .Cname("www.example.com", "example.com")
               .Mx("example.org", 10, "mail-c.example.org").A("mail-c.example.org", "192.0.2.140")
               .Ptr("10.2.0.192.in-addr.arpa", "example.com").Ptr("65.2.0.192.in-addr.arpa", "amy.example.com")
               .Ptr("66.2.0.192.in-addr.arpa", "bob.example.com").Ptr("129.2.0.192.in-addr.arpa", "mail-a.example.com")
               .Ptr("130.2.0.192.in-addr.arpa", "mail-b.example.com").Ptr("140.2.0.192.in-addr.arpa", "mail-c.example.org")
               .Ptr("4.0.0.10.in-addr.arpa", "bob.example.com")
               .Txt("example.com", "v=spf1 +all")
               .Txt("a.example.com", "v=spf1 a -all")
               .Txt("a2.example.com", "v=spf1 a:example.org -all")
               .Txt("mx.example.com", "v=spf1 mx -all")
               .Txt("mx2.example.com", "v=spf1 mx:example.org -all")
               .Txt("mx3.example.com", "v=spf1 mx mx:example.org -all")
               .Txt("mx4.example.com", "v=spf1 mx/30 mx:example.org/30 -all")
               .Txt("ptr.example.com", "v=spf1 ptr:example.com -all")
               .Txt("ip4.example.com", "v=spf1 ip4:192.0.2.128/28 -all");
        },
        [
            new("plus-all", "mail.test", "198.51.100.1", "x@example.com", ["pass"]),
            new("a-pass", "mail.test", "192.0.2.10", "x@a.example.com", ["pass"]),
            new("a-fail", "mail.test", "192.0.2.65", "x@a.example.com", ["fail"]),
            new("a-other-domain-has-no-address", "mail.test", "192.0.2.140", "x@a2.example.com", ["fail"]),
            new("mx-pass", "mail.test", "192.0.2.129", "x@mx.example.com", ["pass"]),
            new("mx-pass-second", "mail.test", "192.0.2.130", "x@mx.example.com", ["pass"]),
            new("mx-fail", "mail.test", "192.0.2.10", "x@mx.example.com", ["fail"]),
            new("mx-other-domain", "mail.test", "192.0.2.140", "x@mx2.example.com", ["pass"]),
            new("mx-other-domain-fail", "mail.test", "192.0.2.129", "x@mx2.example.com", ["fail"]),
            new("mx-both", "mail.test", "192.0.2.140", "x@mx3.example.com", ["pass"]),
            new("mx-both-own", "mail.test", "192.0.2.130", "x@mx3.example.com", ["pass"]),
            new("mx-cidr", "mail.test", "192.0.2.131", "x@mx4.example.com", ["pass"]),
            new("mx-cidr-other", "mail.test", "192.0.2.143", "x@mx4.example.com", ["pass"]),
            new("mx-cidr-outside", "mail.test", "192.0.2.132", "x@mx4.example.com", ["fail"]),
            new("ptr-pass", "mail.test", "192.0.2.65", "x@ptr.example.com", ["pass"]),
            new("ptr-pass-apex", "mail.test", "192.0.2.10", "x@ptr.example.com", ["pass"]),
            new("ptr-other-domain", "mail.test", "192.0.2.140", "x@ptr.example.com", ["fail"]),
            new("ptr-not-validated", "mail.test", "10.0.0.4", "x@ptr.example.com", ["fail"]),
            new("ip4-pass", "mail.test", "192.0.2.143", "x@ip4.example.com", ["pass"]),
            new("ip4-fail", "mail.test", "192.0.2.144", "x@ip4.example.com", ["fail"]),
        ]),
    ];

    private static void RawTxt(LoopbackDnsServer dns, string name, byte[] text) => dns.Record(name, DnsType.TXT, [(byte)text.Length, .. text]);

    private static void SpfType(LoopbackDnsServer dns, string name, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        dns.Record(name, DnsType.SPF, [(byte)bytes.Length, .. bytes]);
    }
}
