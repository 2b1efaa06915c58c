using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SysMon.Hub.Security;
using SysMon.Protocol.V1;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>Agents with Security:AgentAuthentication=Required: enroll once, then publish only as themselves.</summary>
public sealed class AgentAuthenticationTests(HubFactory hub) : IClassFixture<HubFactory>, IAsyncLifetime
{
    private WebApplicationFactory<Program> secured = null!;

    public Task InitializeAsync()
    {
        secured = hub.WithWebHostBuilder(b => b.UseSetting("Security:AgentAuthentication", "Required"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await secured.DisposeAsync();

    private IAgentCredentialStore Store => secured.Services.GetRequiredService<IAgentCredentialStore>();

    [Fact]
    public async Task AnAgentWithoutATokenIsRefused()
    {
        var error = await RefusedAsync(token: null, Id("anonymous"));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("enrollment token", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHubLeftAtItsDefaultsRefusesAnAgentWithoutAToken()
    {
        await using var defaults = new HubFactory { AgentAuthentication = null };
        using var call = defaults.CreateIngestClient().Connect();
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello(Id("unenrolled")) }).WithTimeout();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task AnEnrolledAgentGetsItsCredentialOnceThenStreamsWithIt()
    {
        var enrollment = await Store.CreateEnrollmentTokenAsync(TimeSpan.FromHours(1), "test");
        var id = Id("enrolled");

        string credential;
        using (var call = Connect(enrollment))
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello(id) }).WithTimeout();
            credential = (await NextAsync(call)).Credential.Token;
            Assert.StartsWith(AgentSecrets.CredentialPrefix, credential, StringComparison.Ordinal);
            Assert.NotNull((await NextAsync(call)).Settings);
            await call.RequestStream.CompleteAsync().WithTimeout();
        }
        Assert.Equal(id, await Store.MachineOfAsync(credential));

        // Later connections present the credential: settings, no new credential, samples acknowledged.
        using var again = Connect(credential);
        await again.RequestStream.WriteAsync(new AgentMessage { Hello = Hello(id) }).WithTimeout();
        Assert.Equal(HubMessage.PayloadOneofCase.Settings, (await NextAsync(again)).PayloadCase);
        await again.RequestStream.WriteAsync(new AgentMessage { Sample = new Sample { Sequence = 1, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() } }).WithTimeout();
        Assert.Equal(1UL, (await NextAsync(again)).Ack.Sequence);
        await again.RequestStream.CompleteAsync().WithTimeout();

        // The enrollment token cannot take the enrolled machine over.
        var takeover = await RefusedAsync(enrollment, id);
        Assert.Equal(StatusCode.AlreadyExists, takeover.StatusCode);
    }

    [Fact]
    public async Task ACredentialCannotPublishForAnotherMachine()
    {
        var credential = await Store.IssueAsync(Id("owner"), replace: false);

        var error = await RefusedAsync(credential, Id("victim"));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task WrongExpiredAndForgedTokensAreRefused()
    {
        var expired = await Store.CreateEnrollmentTokenAsync(TimeSpan.FromMilliseconds(1), "short");
        await Deadline.Until(async () => !await Store.IsEnrollmentTokenAsync(expired), "the token expires");

        Assert.Equal(StatusCode.Unauthenticated, (await RefusedAsync(expired, Id("late"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await RefusedAsync("smc_forged", Id("forger"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await RefusedAsync("sme_forged", Id("forger"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await RefusedAsync("password", Id("forger"))).StatusCode);
    }

    [Fact]
    public async Task RevokingACredentialClosesTheLiveStreamAndRefusesItAfterwards()
    {
        var id = Id("revoked");
        var credential = await Store.IssueAsync(id, replace: false);
        using var call = Connect(credential);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello(id) }).WithTimeout();
        Assert.NotNull((await NextAsync(call)).Settings);

        Assert.True(await Store.RevokeAsync(id));

        // The stream ends (the hub aborts it: a clean end or an error, never the test's deadline).
        var ended = await Record.ExceptionAsync(async () =>
        {
            while (await call.ResponseStream.MoveNext().WithTimeout())
            {
            }
        });
        Assert.False(ended is TimeoutException, "the revoked agent's stream stayed open");
        Assert.Equal(StatusCode.Unauthenticated, (await RefusedAsync(credential, id)).StatusCode);
    }

    private static string Id(string name) => $"{name}-{Guid.NewGuid():N}";

    private static Hello Hello(string id) => new() { ProtocolVersion = 1, MachineId = id, Hostname = "auth-host" };

    private AsyncDuplexStreamingCall<AgentMessage, HubMessage> Connect(string? token)
    {
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress(secured.Server.BaseAddress, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = secured.Server.CreateHandler() });
        var headers = token is null ? null : new Metadata { { "authorization", "Bearer " + token } };
        return new AgentIngest.AgentIngestClient(channel).Connect(headers);
    }

    private static async Task<HubMessage> NextAsync(AsyncDuplexStreamingCall<AgentMessage, HubMessage> call)
    {
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout(), "the hub closed the stream");
        return call.ResponseStream.Current;
    }

    private async Task<RpcException> RefusedAsync(string? token, string machineId)
    {
        using var call = Connect(token);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello(machineId) }).WithTimeout();
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WithTimeout());
    }
}
