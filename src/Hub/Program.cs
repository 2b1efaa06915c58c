using SysMon.Hub.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddHubServices();
builder.AddEmbeddedAgent();

var app = builder.Build();
app.MapHubEndpoints();
app.Run();

/// <summary>Exposed so tests can host the hub with WebApplicationFactory&lt;Program&gt;.</summary>
public partial class Program;
