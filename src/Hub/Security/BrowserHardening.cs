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

    /// <summary>
    /// A request to the API or the SignalR hub sent by a page of another origin. CORS keeps such pages from
    /// reading REST answers, but not from opening a WebSocket (browsers send no preflight for those) or
    /// from causing side effects, so they are refused outright. Requests without an Origin header (curl,
    /// agents, Prometheus) are not browsers' cross-site requests. Pure.
    /// </summary>
    public static bool IsCrossSite(HttpRequest request, string[] allowedOrigins)
    {
        if (!request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments(Realtime.HubNames.Path))
        {
            return false;
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return request.Headers["Sec-Fetch-Site"] == "cross-site";
        }
        if (allowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }
        // Same origin: the Origin's host and port are the ones the request was sent to (the scheme may differ behind a TLS proxy).
        return !Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
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
        app.Use((context, next) => IsCrossSite(context.Request, origins)
            ? Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused",
                detail: "This hub answers pages it serves and origins listed in Security:CorsOrigins.").ExecuteAsync(context)
            : next(context));
        return app;
    }
}
