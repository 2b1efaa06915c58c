using Microsoft.Extensions.FileProviders;

namespace SysMon.Hub.Dashboard;

/// <summary>
/// Serves the dashboard that the build copied next to the hub binary (see Dashboard.targets).
/// Vite's assets carry content hashes, so they are cached for a year; index.html is always revalidated.
/// </summary>
public static class DashboardFiles
{
    private static string Root(IConfiguration configuration) =>
        configuration["Dashboard:Path"] is { Length: > 0 } path ? Path.GetFullPath(path) : Path.Combine(AppContext.BaseDirectory, "dashboard");

    public static WebApplication UseDashboardFiles(this WebApplication app)
    {
        var root = Root(app.Configuration);
        if (!File.Exists(Path.Combine(root, "index.html")))
        {
            app.Logger.LogWarning("No dashboard at {DashboardPath}: build the hub with Node.js installed (src/Dashboard is built by dotnet build).", root);
            return app;
        }
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
            },
        });
        return app;
    }

    /// <summary>Client-side routes fall back to index.html; without a built dashboard, "/" says how to get one.</summary>
    public static WebApplication MapDashboardFallback(this WebApplication app)
    {
        var root = Root(app.Configuration);
        if (File.Exists(Path.Combine(root, "index.html")))
        {
            app.MapFallbackToFile("index.html", new StaticFileOptions { FileProvider = new PhysicalFileProvider(root) }).AllowAnonymous();
        }
        else
        {
            app.MapGet("/", () => Results.Text(
                "SysMon hub is running, but its dashboard was not built. Install Node.js 20+ and rebuild the hub (dotnet build src/Hub).\n")).AllowAnonymous();
        }
        return app;
    }
}
