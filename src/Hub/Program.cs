using SysMon.Hub.Extensions;
using SysMon.Hub.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddHubServices();
builder.AddEmbeddedAgent();
builder.AddBrowserHardening();

var app = builder.Build();
app.CheckNetworkExposure();
app.UseBrowserHardening();
app.MapHubEndpoints();
app.Run();

/// <summary>Exposed so tests can host the hub with WebApplicationFactory&lt;Program&gt;.</summary>
public partial class Program;
