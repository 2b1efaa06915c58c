using SysMon.Agent.Streaming;

namespace SysMon.Agent.Tests.Streaming;

public class HubAddressesTests
{
    [Fact]
    public void OneUrlIsOneAddress()
    {
        var addresses = HubAddresses.Parse("http://hub:5001", out var invalid);

        Assert.Equal([new Uri("http://hub:5001")], addresses);
        Assert.Empty(invalid);
    }

    [Fact]
    public void ACommaSeparatedListKeepsItsOrderAndLosesItsBlanks()
    {
        var addresses = HubAddresses.Parse(" http://a:5001 ,https://b:5001,, http://c:5001 ", out var invalid);

        Assert.Equal(["http://a:5001", "https://b:5001", "http://c:5001"], addresses.Select(a => a.OriginalString));
        Assert.Empty(invalid);
    }

    [Theory]
    [InlineData("hub:5001")]
    [InlineData("ftp://hub")]
    [InlineData("/relative")]
    public void EntriesThatAreNotHttpUrlsAreSetAside(string entry)
    {
        var addresses = HubAddresses.Parse("http://a:5001," + entry, out var invalid);

        Assert.Equal([new Uri("http://a:5001")], addresses);
        Assert.Equal([entry], invalid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    public void NothingGivenIsNoAddress(string? hubUrl)
    {
        Assert.Empty(HubAddresses.Parse(hubUrl, out var invalid));
        Assert.Empty(invalid);
    }
}
