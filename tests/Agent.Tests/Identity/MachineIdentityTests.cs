using SysMon.Agent.Identity;

namespace SysMon.Agent.Tests.Identity;

public sealed class MachineIdentityTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("sysmon-agent-tests-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void AConfiguredIdWinsAndIsSanitized()
    {
        Assert.Equal("my_host.1", MachineIdentity.Resolve(" my host.1 ", Fixtures.T0.EtcRoot, _temp));
    }

    [Fact]
    public void EtcMachineIdIsUsedWhenNothingIsConfigured()
    {
        Assert.Equal("3d1219c7c4c5404aaa1f6d2a48adfda4", MachineIdentity.Resolve(null, Fixtures.T0.EtcRoot, _temp));
        Assert.Equal("3d1219c7c4c5404aaa1f6d2a48adfda4", MachineIdentity.Resolve("   ", Fixtures.T0.EtcRoot, _temp));
    }

    [Fact]
    public void AGeneratedIdIsPersistedAndReused()
    {
        var etcWithoutId = Path.Combine(_temp, "etc");
        var state = Path.Combine(_temp, "state");

        var first = MachineIdentity.Resolve(null, etcWithoutId, state);
        var second = MachineIdentity.Resolve(null, etcWithoutId, state);

        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.Equal(first, second);
        Assert.Equal(first, File.ReadAllText(Path.Combine(state, MachineIdentity.StateFileName)).Trim());
    }

    [Fact]
    public void SanitizeKeepsTheAllowedAlphabetAndCapsTheLength()
    {
        Assert.Equal("a_b-c.d_", MachineIdentity.Sanitize("a/b-c.d\u00e9"));
        Assert.Equal(128, MachineIdentity.Sanitize(new string('x', 500))!.Length);
        Assert.Null(MachineIdentity.Sanitize(null));
    }
}
