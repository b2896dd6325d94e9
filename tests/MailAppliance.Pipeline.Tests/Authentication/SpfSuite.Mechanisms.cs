using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>The suite's groups for the mechanisms (ptr, a, include, mx, exists, ip4, ip6).</summary>
public static partial class SpfSuite
{
    private static readonly SpfGroup[] Mechanisms =
    [
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

    ];
}
