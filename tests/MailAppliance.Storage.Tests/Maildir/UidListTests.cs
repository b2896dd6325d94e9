using MailAppliance.Storage.Maildir;

namespace MailAppliance.Storage.Tests.Maildir;

public class UidListTests
{
    private const string DovecotInbox =
        "3 V1795337829 N5 G787e563a65ae026b591c000083ecc375\n" +
        "1 :1795337829.M978747P7257.vm,S=19,W=22\n" +
        "2 :1795337829.M986187P7257.vm,S=25,W=28\n" +
        "3 W20 :1700000000.foreign123.otherhost\n" +
        "4 W20 :1700000001.M1P2.h2,S=17\n";

    [Fact]
    public void Parses_a_version_3_file_as_Dovecot_writes_it()
    {
        var list = UidList.Parse(DovecotInbox).Value;

        Assert.Equal(3, list.Version);
        Assert.Equal(1795337829u, list.UidValidity);
        Assert.Equal(5u, list.HeaderNextUid);
        Assert.Equal(5u, list.NextUid);
        Assert.Equal("787e563a65ae026b591c000083ecc375", list.MailboxGuid);
        Assert.Equal([1u, 2u, 3u, 4u], list.Records.Select(r => r.Uid));
        Assert.Equal("1700000000.foreign123.otherhost", list.Records[2].BaseName);
        Assert.Equal(["W20"], list.Records[2].ExtensionFields);
        Assert.Equal(20, list.Records[2].VirtualSize);
        Assert.Null(list.Records[0].VirtualSize);
    }

    [Fact]
    public void Formatting_a_parsed_file_reproduces_it_byte_for_byte()
    {
        Assert.Equal(DovecotInbox, UidList.Parse(DovecotInbox).Value.Format());
    }

    [Fact]
    public void The_next_uid_is_the_larger_of_N_and_the_last_uid_plus_one()
    {
        // Dovecot appends lines without rewriting the header, so N can lag behind.
        var lagging = UidList.Parse("3 V7 N2 Gabc\n1 :a\n2 :b\n9 :c\n").Value;
        var ahead = UidList.Parse("3 V7 N100 Gabc\n1 :a\n").Value;
        var empty = UidList.Parse("3 V7 N0\n").Value;

        Assert.Equal(10u, lagging.NextUid);
        Assert.Equal(100u, ahead.NextUid);
        Assert.Equal(1u, empty.NextUid);
        Assert.StartsWith("3 V7 N10 Gabc\n", lagging.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_header_and_record_fields_are_preserved()
    {
        const string text = "3 V42 N3 Gdeadbeefdeadbeefdeadbeefdeadbeef X1 Zfoo\n1 M1700000000 G0123 W10 Q:x :name1,S=8\n2 :name2\n";

        var list = UidList.Parse(text).Value;

        Assert.Equal(["X1", "Zfoo"], list.ExtraHeaderFields);
        Assert.Equal(["M1700000000", "G0123", "W10", "Q:x"], list.Records[0].ExtensionFields);
        Assert.Equal("0123", list.Records[0].Guid);
        Assert.Equal("name1,S=8", list.Records[0].BaseName);
        Assert.Equal(text, list.Format());
    }

    [Fact]
    public void Header_fields_may_come_in_any_order()
    {
        var list = UidList.Parse("3 G0011 N8 V99\n").Value;

        Assert.Equal(99u, list.UidValidity);
        Assert.Equal(8u, list.NextUid);
        Assert.Equal("0011", list.MailboxGuid);
    }

    [Fact]
    public void Reads_version_1_and_writes_it_back_as_version_3()
    {
        var list = UidList.Parse("1 1100000000 4\n1 1100000000.123.host\n3 1100000001.124.host:2,S\n").Value;

        Assert.Equal(1, list.Version);
        Assert.Equal(1100000000u, list.UidValidity);
        Assert.Equal(4u, list.NextUid);
        Assert.Equal(["1100000000.123.host", "1100000001.124.host"], list.Records.Select(r => r.BaseName));
        Assert.Equal("3 V1100000000 N4\n1 :1100000000.123.host\n3 :1100000001.124.host\n", list.Format());
    }

    [Fact]
    public void Tolerates_crlf_empty_lines_and_a_record_without_the_colon_marker()
    {
        var list = UidList.Parse("3 V5 N1\r\n\r\n1 :a\r\n2 b\n").Value;

        Assert.Equal(["a", "b"], list.Records.Select(r => r.BaseName));
    }

    [Fact]
    public void A_torn_last_line_is_ignored()
    {
        var list = UidList.Parse("3 V5 N1\n1 :a\n2 W1").Value;

        Assert.Equal([1u], list.Records.Select(r => r.Uid));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2 V5 N1\n")]
    [InlineData("3 N1 G00\n")]
    [InlineData("3 V0 N1\n")]
    [InlineData("x\n")]
    [InlineData("3 V5 N1\n2 :a\n1 :b\n")]
    [InlineData("3 V5 N1\n1 :a\n1 :b\n")]
    [InlineData("3 V5 N1\n1 :a\n2 :a\n")]
    [InlineData("3 V5 N1\nfoo :a\n")]
    [InlineData("3 V5 N1\n0 :a\n")]
    [InlineData("1 5\n")]
    [InlineData("3 V5 N1")]
    public void Corrupt_files_are_reported_as_invalid_format(string text)
    {
        var result = UidList.Parse(text);

        Assert.False(result.Succeeded);
        Assert.Equal(MaildirFailureKind.InvalidFormat, result.Failure!.Kind);
    }

    [Fact]
    public void Records_are_merged_in_uid_order_and_conflicts_refused()
    {
        var list = UidList.Create(77, "00112233445566778899aabbccddeeff");

        var added = list.WithRecords([new UidListRecord(5, "e"), new UidListRecord(2, "b", ["W10"])]).Value;

        Assert.Equal([2u, 5u], added.Records.Select(r => r.Uid));
        Assert.Equal(6u, added.NextUid);
        Assert.Equal("3 V77 N6 G00112233445566778899aabbccddeeff\n2 W10 :b\n5 :e\n", added.Format());
        Assert.Equal(MaildirFailureKind.Conflict, added.WithRecords([new UidListRecord(2, "z")]).Failure!.Kind);
        Assert.Equal(MaildirFailureKind.Conflict, added.WithRecords([new UidListRecord(9, "e")]).Failure!.Kind);
        Assert.Equal("b", added.FindByUid(2)!.BaseName);
        Assert.Null(added.FindByUid(3));
        Assert.Equal(5u, added.FindByBaseName("e")!.Uid);
    }

    [Fact]
    public void Removing_the_highest_uids_does_not_lower_the_next_uid()
    {
        var list = UidList.Parse("3 V5 N1\n1 :a\n2 :b\n3 :c\n").Value;

        var expunged = list.WithoutUids([2, 3]);

        Assert.Equal([1u], expunged.Records.Select(r => r.Uid));
        Assert.Equal(4u, expunged.NextUid);
        Assert.Equal("3 V5 N4\n1 :a\n", expunged.Format());
        Assert.Equal(10u, expunged.WithNextUid(10).NextUid);
        Assert.Equal(4u, expunged.WithNextUid(2).NextUid);
    }

    [Fact]
    public void New_lists_get_a_mailbox_guid_in_Dovecots_form()
    {
        var list = UidList.Create(123);

        Assert.Matches("^[0-9a-f]{32}$", list.MailboxGuid!);
        Assert.Equal($"3 V123 N1 G{list.MailboxGuid}\n", list.Format());
    }

    [Fact]
    public void Records_refuse_names_that_would_break_the_file()
    {
        Assert.Throws<ArgumentException>(() => new UidListRecord(1, "a:2,S"));
        Assert.Throws<ArgumentException>(() => new UidListRecord(1, "a\nb"));
        Assert.Throws<ArgumentException>(() => new UidListRecord(1, "a", ["W 1"]));
        Assert.Throws<ArgumentException>(() => new UidListRecord(1, "a", [":x"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UidListRecord(0, "a"));
    }
}
