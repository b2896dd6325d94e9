using MailAppliance.Configuration;
using MailAppliance.Smtp.Queue;
using Microsoft.Extensions.Configuration;

namespace MailAppliance.Tests.Configuration;

/// <summary><c>Delivery:RetryMin</c>, <c>RetryMax</c>, <c>MaxLifetime</c>, <c>DelayWarning</c>: durations as INTERFACE.md writes them.</summary>
public class DeliveryScheduleOptionsTests
{
    private static DeliveryOptions Read(params (string Key, string? Value)[] values) =>
        OptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build()).Delivery;

    private static string Fails(params (string Key, string? Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Read(values)).Key;

    [Fact]
    public void The_defaults_are_postfixs_schedule()
    {
        var options = Read(("Hostname", "mx.example.test"));
        Assert.Equal(TimeSpan.FromMinutes(5), options.RetryMin);
        Assert.Equal(TimeSpan.FromHours(1), options.RetryMax);
        Assert.Equal(TimeSpan.FromDays(5), options.MaxLifetime);
        Assert.Equal(TimeSpan.FromHours(4), options.DelayWarning);
        Assert.Equal("mx.example.test", options.Hostname);
    }

    [Fact]
    public void Durations_take_s_m_h_and_d_and_a_zero_delay_warning_turns_it_off()
    {
        var options = Read(("Delivery:RetryMin", "30s"), ("Delivery:RetryMax", "2h"), ("Delivery:MaxLifetime", "3d"), ("Delivery:DelayWarning", "0"));
        Assert.Equal(TimeSpan.FromSeconds(30), options.RetryMin);
        Assert.Equal(TimeSpan.FromHours(2), options.RetryMax);
        Assert.Equal(TimeSpan.FromDays(3), options.MaxLifetime);
        Assert.Equal(TimeSpan.Zero, options.DelayWarning);
        Assert.Equal(TimeSpan.FromMinutes(90), Read(("Delivery:DelayWarning", "90m")).DelayWarning);
    }

    [Theory]
    [InlineData("Delivery:RetryMin", "5")]
    [InlineData("Delivery:RetryMin", "0s")]
    [InlineData("Delivery:RetryMax", "fast")]
    [InlineData("Delivery:MaxLifetime", "-1d")]
    [InlineData("Delivery:DelayWarning", "4 hours")]
    public void A_bad_duration_names_its_key(string key, string value) =>
        Assert.Equal(key, Fails((key, value)));

    [Fact]
    public void RetryMax_shorter_than_RetryMin_is_refused() =>
        Assert.Equal("Delivery:RetryMax", Fails(("Delivery:RetryMin", "2h"), ("Delivery:RetryMax", "1h")));
}
