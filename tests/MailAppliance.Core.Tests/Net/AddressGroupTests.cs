using System.Net;
using MailAppliance.Core.Net;

namespace MailAppliance.Core.Tests.Net;

public class AddressGroupTests
{
    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::")]
    [InlineData("::1", "::")]
    public void Groups_ipv6_by_64_and_unmaps_ipv4(string address, string group)
    {
        Assert.Equal(IPAddress.Parse(group), AddressGroup.Of(IPAddress.Parse(address)));
    }
}
