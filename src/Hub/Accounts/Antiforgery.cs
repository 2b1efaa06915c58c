using Microsoft.AspNetCore.Antiforgery;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Every state-changing request made with the session cookie (or anonymously) must carry the
/// anti-forgery token from <c>GET /api/session</c> in this header. SameSite=Strict already keeps other
/// sites' requests cookieless; this also covers browsers that ignore SameSite and same-site attackers.
/// </summary>
public static class Antiforgery
{
    public const string HeaderName = "X-SysMon-Csrf";

    public static TBuilder RequireAntiforgeryHeader<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Anti-forgery check failed",
                    detail: $"State-changing requests need the {HeaderName} header from GET /api/session. Reload the page and try again.");
            }
            return await next(context);
        });

    /// <summary>A token for the principal now on <paramref name="context"/> (call again after signing in or out).</summary>
    public static string IssueToken(HttpContext context) =>
        context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context).RequestToken ?? "";
}
