using Microsoft.Extensions.Logging.Abstractions;
using SysMon.Agent.Identity;
using Xunit;

namespace SysMon.Agent.Tests;

public sealed class AgentCredentialFileTests : IDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("sysmon-credential-");

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public void NothingIsLoadedBeforeEnrollment() =>
        Assert.Null(new AgentCredentialFile(_state.FullName, NullLogger.Instance).Load());

    [Fact]
    public void ASavedCredentialIsPrivateToTheAgentAndLoadedOnTheNextStart()
    {
        var file = new AgentCredentialFile(_state.FullName, NullLogger.Instance);

        var path = file.Save("smc_first");
        file.Save("smc_second"); // a re-enrolled agent replaces the old one

        Assert.Equal(Path.Join(_state.FullName, AgentCredentialFile.FileName), path);
        Assert.Equal("smc_second", new AgentCredentialFile(_state.FullName, NullLogger.Instance).Load());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path!));
        }
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void AFileThatIsNotACredentialIsIgnored()
    {
        File.WriteAllText(Path.Join(_state.FullName, AgentCredentialFile.FileName), "sme_an-enrollment-token\n");
        Assert.Null(new AgentCredentialFile(_state.FullName, NullLogger.Instance).Load());
    }
}
