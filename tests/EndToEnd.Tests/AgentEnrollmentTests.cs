using System.Net.Http.Json;
using System.Text.Json;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// Agent authentication with real processes: Redis, two hubs requiring credentials, the hub's
/// <c>credentials</c> command, and a real agent enrolling with a token file.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class AgentEnrollmentTests
{
    private static readonly Dictionary<string, string?> Required = new() { ["Security__AgentAuthentication"] = "Required" };

    [Fact]
    public async Task AnAgentEnrollsOnceKeepsItsCredentialPrivateUsesItOnAnyHubAndIsCutOffWhenRevoked()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        var state = Directory.CreateTempSubdirectory("sysmon-enroll-");
        var machineId = $"enroll-{Guid.NewGuid():N}"[..28];
        try
        {
            var hubs = await Task.WhenAll(
                HubProcess.StartAsync("enroll-a", redis.ConnectionString, Required),
                HubProcess.StartAsync("enroll-b", redis.ConnectionString, Required));
            await using var a = hubs[0];
            await using var b = hubs[1];

            // An operator creates an enrollment token; it is printed once.
            var (created, token) = await CredentialsAsync(redis, "enroll", "--ttl", "1h", "--note", "test fleet");
            Assert.Equal(0, created);
            Assert.StartsWith("sme_", token, StringComparison.Ordinal);
            var tokenFile = Path.Combine(state.FullName, "enrollment-token");
            await File.WriteAllTextAsync(tokenFile, token + "\n");

            // A stranger without a token is refused and never listed.
            await using (var stranger = AgentProcess.Start(machineId + "-x", a.GrpcUrl, "--state-dir", Path.Combine(state.FullName, "x")))
            {
                await Deadline.Until(() => stranger.Output.Contains("Unauthenticated", StringComparison.Ordinal), "the hub refuses an agent without a token");
            }

            await using (var agent = AgentProcess.Start(machineId, a.GrpcUrl, "--token-file", tokenFile, "--state-dir", state.FullName))
            {
                await Deadline.Until(async () => await IsListedOnlineAsync(b, machineId), "the enrolled agent is online, seen from the other hub", TimeSpan.FromSeconds(30));
                var credentialFile = Path.Combine(state.FullName, "credential");
                // The hub lists the machine as soon as it streams; the agent writes the credential it was handed alongside.
                await Deadline.Until(() => File.Exists(credentialFile), "the agent keeps its credential");
                Assert.StartsWith("smc_", (await File.ReadAllTextAsync(credentialFile)).Trim(), StringComparison.Ordinal);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentialFile));
                }
            }

            // Restarted against the other hub with an expired enrollment token, it streams with its credential.
            await File.WriteAllTextAsync(tokenFile, "sme_no-longer-valid\n");
            await using var restarted = AgentProcess.Start(machineId, b.GrpcUrl, "--token-file", tokenFile, "--state-dir", state.FullName);
            await Deadline.Until(() => restarted.Output.Contains("Connected to hub", StringComparison.Ordinal), "the agent reconnects with its credential", TimeSpan.FromSeconds(30));
            await Deadline.Until(async () => await IsListedOnlineAsync(a, machineId), "it is online again", TimeSpan.FromSeconds(30));

            // Revoked: the live stream is closed within seconds and the agent is refused from then on.
            var (revoked, _) = await CredentialsAsync(redis, "revoke", machineId);
            Assert.Equal(0, revoked);
            await Deadline.Until(() => restarted.Output.Contains("Unknown or revoked agent credential", StringComparison.Ordinal),
                "the revoked agent is refused", TimeSpan.FromSeconds(30));
            await Deadline.Until(async () => !await IsListedOnlineAsync(a, machineId), "the revoked machine goes offline", TimeSpan.FromSeconds(30));
        }
        finally
        {
            state.Delete(recursive: true);
            await redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheHubsOwnAgentNeedsNoEnrollment()
    {
        // The README's run command with agent authentication required: the built-in agent still shows up.
        var machineId = $"embedded-{Guid.NewGuid():N}"[..28];
        await using var hub = await HubProcess.StartAsync("enroll-embedded", redis: null, new Dictionary<string, string?>
        {
            ["Security__AgentAuthentication"] = "Required",
            ["EmbeddedAgent__Enabled"] = "true",
            ["EmbeddedAgent__MachineId"] = machineId,
        });

        await Deadline.Until(async () => await IsListedOnlineAsync(hub, machineId), "the built-in agent is online", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("Refused agent", hub.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> CredentialsAsync(RedisServer redis, params string[] arguments)
    {
        await using var command = ChildProcess.Start("credentials", "dotnet", [RepoPaths.HubDll, "credentials", .. arguments],
            new Dictionary<string, string?> { ["ConnectionStrings__Redis"] = redis.ConnectionString });
        var exitCode = await command.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var firstLine = command.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return (exitCode, firstLine);
    }

    private static async Task<bool> IsListedOnlineAsync(HubProcess hub, string machineId)
    {
        using var http = new HttpClient { BaseAddress = hub.WebUrl, Timeout = TimeSpan.FromSeconds(5) };
        var machines = await http.GetFromJsonAsync<JsonElement>("api/machines");
        return machines.EnumerateArray().Any(m => m.GetProperty("id").GetString() == machineId && m.GetProperty("online").GetBoolean());
    }
}
