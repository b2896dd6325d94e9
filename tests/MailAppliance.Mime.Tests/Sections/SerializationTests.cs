namespace MailAppliance.Mime.Tests.Sections;

public sealed class SerializationTests
{
    [Fact]
    public void Round_trips_every_corpus_message()
    {
        foreach (var name in TestMessages.Names)
        {
            var s = TestMessages.Parse(name);
            var bytes = s.Serialize();
            var copy = MessageStructure.Deserialize(bytes);
            Assert.Equal(bytes, copy.Serialize());
            Assert.Equal(s.CrlfLength, copy.CrlfLength);
            var a = s.Root.Descendants().ToList();
            var b = copy.Root.Descendants().ToList();
            Assert.Equal(a.Count, b.Count);
            for (var i = 0; i < a.Count; i++)
            {
                Assert.Equal(a[i].ToString(), b[i].ToString());
                Assert.Equal(a[i].BodyLines, b[i].BodyLines);
                Assert.Equal(a[i].Headers.Select(h => (h.Name, h.Offset, h.Length, h.CrlfLength)), b[i].Headers.Select(h => (h.Name, h.Offset, h.Length, h.CrlfLength)));
            }
        }
    }

    [Fact]
    public void Serialized_form_is_compact()
    {
        var s = TestMessages.Parse("attachments-crlf.eml");
        Assert.True(s.Serialize().Length < 600, $"{s.Serialize().Length} bytes");
    }

    [Fact]
    public void Corrupt_data_is_rejected_without_exceptions()
    {
        var good = TestMessages.Parse("nested-rfc822-in-rfc822.eml").Serialize();
        for (var cut = 0; cut < good.Length; cut++)
        {
            Assert.False(MessageStructure.TryDeserialize(good.AsSpan(0, cut), out _));
        }

        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])good.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            _ = MessageStructure.TryDeserialize(mutated, out _);
        }

        Assert.Throws<FormatException>(() => MessageStructure.Deserialize(new byte[] { 1, 2, 3 }));
    }
}
