using MailAppliance.Testing.Dns;

namespace MailAppliance.Pipeline.Tests.Authentication;

/// <summary>The suite's groups for the modifiers, macros, processing limits, implementation bugs and RFC 7208 Appendix A.</summary>
public static partial class SpfSuite
{
    private static readonly SpfGroup[] Modifiers =
    [
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
}
