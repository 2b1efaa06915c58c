using Microsoft.Extensions.Options;

namespace SysMon.Hub.Security;

/// <summary>
/// Response headers that keep the dashboard from being framed, sniffed or made to run script it did
/// not ship, and CORS that is off unless origins are listed. The dashboard has no inline script or
/// style attribute (styles are set through the CSSOM, which a CSP allows), so the policy needs no
/// 'unsafe-inline'; a browser test fails on any CSP violation the pages report.
/// </summary>
public static class BrowserHardening
{
    public const string CorsPolicy = "listed-origins";

    /// <summary>
    /// Only what the dashboard loads: its own scripts, styles and fonts, images from itself and data:
    /// URLs (Bootstrap's form icons), connections to itself (REST and the SignalR WebSocket; CSP3 'self'
    /// covers ws: and wss: of the same host). No plugins, no base-URL rewriting, no framing.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplicationBuilder AddBrowserHardening(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName);
        var origins = builder.Configuration.GetSection($"{SecurityOptions.SectionName}:{nameof(SecurityOptions.CorsOrigins)}").Get<string[]>() ?? [];
        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy =>
        {
            if (origins.Length > 0)
            {
                policy.WithOrigins(origins).WithMethods("GET", "POST").AllowAnyHeader().AllowCredentials();
            }
        }));
        return builder;
    }

    public static WebApplication UseBrowserHardening(this WebApplication app)
    {
        var origins = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.CorsOrigins;
        if (origins.Length > 0)
        {
            app.Logger.LogInformation("CORS allows {Origins}", string.Join(", ", origins));
        }
        app.Use((context, next) =>
        {
            // gRPC responses go to agents, not browsers.
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY"; // frame-ancestors for browsers without CSP 2
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), usb=()";
            }
            return next(context);
        });
        app.UseCors(CorsPolicy);
        return app;
    }
}
