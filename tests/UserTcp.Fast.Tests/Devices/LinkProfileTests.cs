using UserTcp.Fast.Devices.Simulated;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>A <see cref="LinkProfile"/> that exists is valid: every setting is checked as it is set, <c>with</c> included.</summary>
public sealed class LinkProfileTests
{
    // Func<object>: LinkProfile is internal, and a public test method cannot take an internal type.
    public static TheoryData<string, Func<object>> InvalidSettings => new()
    {
        { nameof(LinkProfile.Loss), () => new LinkProfile { Loss = 1.5 } },
        { nameof(LinkProfile.Loss), () => new LinkProfile { Loss = double.NaN } },
        { nameof(LinkProfile.BurstLossStart), () => new LinkProfile { BurstLossStart = -0.1 } },
        { nameof(LinkProfile.BurstLength), () => new LinkProfile { BurstLength = 0.5 } },
        { nameof(LinkProfile.BurstLength), () => new LinkProfile { BurstLength = double.PositiveInfinity } },
        { nameof(LinkProfile.BadStateLoss), () => new LinkProfile { BadStateLoss = 2 } },
        { nameof(LinkProfile.Duplicate), () => LinkProfile.Perfect with { Duplicate = -1 } },
        { nameof(LinkProfile.Reorder), () => LinkProfile.Perfect with { Reorder = 1.01 } },
        { nameof(LinkProfile.ReorderDelay), () => new LinkProfile { ReorderDelay = TimeSpan.Zero } },
        { nameof(LinkProfile.Corrupt), () => new LinkProfile { Corrupt = double.NaN } },
        { nameof(LinkProfile.Delay), () => new LinkProfile { Delay = TimeSpan.FromTicks(-1) } },
        { nameof(LinkProfile.RateMbps), () => new LinkProfile { RateMbps = -1 } },
        { nameof(LinkProfile.RateMbps), () => new LinkProfile { RateMbps = double.NaN } },
        { nameof(LinkProfile.QueueLimitBytes), () => new LinkProfile { QueueLimitBytes = -1 } },
        { nameof(LinkProfile.Mtu), () => new LinkProfile { Mtu = 67 } },
        { nameof(LinkProfile.Mtu), () => LinkProfile.Perfect with { Mtu = 65536 } },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_settings_are_rejected_naming_the_setting(string setting, Func<object> create)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(setting, error.ParamName);
    }

    [Fact]
    public void Perfect_is_lossless_unlimited_and_has_a_1500_byte_mtu()
    {
        var perfect = LinkProfile.Perfect;
        Assert.Equal(0, perfect.Loss + perfect.BurstLossStart + perfect.Duplicate + perfect.Reorder + perfect.Corrupt);
        Assert.Equal(TimeSpan.Zero, perfect.Delay);
        Assert.Equal(0, perfect.RateMbps);
        Assert.Equal(1500, perfect.Mtu);
        Assert.Equal(new LinkProfile(), perfect);
    }
}
