using SysMon.Hub.Accounts;
using SysMon.Hub.Extensions;
using SysMon.Hub.Security;

if (args is [SysMon.Hub.Cli.HealthCheckCommand.Name, ..]) return await SysMon.Hub.Cli.HealthCheckCommand.RunAsync(args, Console.Out, Console.Error);
var builder = WebApplication.CreateBuilder(args);
if (args.FirstOrDefault() == CredentialsCommand.Name)
{
    return await CredentialsCommand.RunAsync(args, builder.Configuration, Console.Out, Console.Error);
}
if (args.FirstOrDefault() is UsersCommand.Users or UsersCommand.ApiTokens)
{
    return await UsersCommand.RunAsync(args, builder.Configuration, Console.In, Console.Out, Console.Error);
}
builder.AddHubServices();
builder.AddEmbeddedAgent();
builder.AddBrowserHardening();
builder.AddPeopleAuthentication();
builder.AddAgentClientCertificates();

var app = builder.Build();
app.UseTrustedProxies();
app.UseBrowserHardening();
app.MapHubEndpoints();
await app.RunAsync();
return 0;

/// <summary>Exposed so tests can host the hub with WebApplicationFactory&lt;Program&gt;.</summary>
public partial class Program;
