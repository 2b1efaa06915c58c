using System.Security.Claims;
using SysMon.Hub.Api;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Which machines a principal may see. A viewer or API token with tags sees only machines whose agent
/// reports one of them (<c>--tags</c>); without tags, and for admins, every machine. A machine it may not
/// see is answered exactly like one that does not exist, so its existence does not leak.
/// </summary>
public static class MachineAccess
{
    /// <summary>The tags <paramref name="principal"/> is restricted to, or null for every machine.</summary>
    public static IReadOnlySet<string>? Restriction(ClaimsPrincipal principal)
    {
        if (principal.IsAdmin())
        {
            return null;
        }
        var tags = principal.Tags();
        return tags.Length == 0 ? null : tags.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The machines <paramref name="restriction"/> lets one see (all of them for null). Pure.</summary>
    public static IEnumerable<MachineRecord> Visible(this IEnumerable<MachineRecord> machines, IReadOnlySet<string>? restriction) =>
        restriction is null ? machines : machines.Where(m => CanSee(restriction, m.Hello.Tags));

    /// <summary>Pure.</summary>
    public static bool CanSee(IReadOnlySet<string>? restriction, IEnumerable<string> machineTags) =>
        restriction is null || machineTags.Any(restriction.Contains);

    /// <summary>
    /// Endpoint filter for routes with an <c>{id}</c>: a restricted principal asking about a machine it may not
    /// see gets the 404 of an unknown machine. Unrestricted principals pay nothing.
    /// </summary>
    public static async ValueTask<object?> OnlyVisibleMachines(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (Restriction(http.User) is { } restriction && http.GetRouteValue("id") is string id)
        {
            var machine = MachineId.IsValid(id) ? await http.RequestServices.GetRequiredService<IMachineRegistry>().GetAsync(id) : null;
            if (machine is null || !CanSee(restriction, machine.Hello.Tags))
            {
                return MachinesApi.UnknownMachine(id);
            }
        }
        return await next(context);
    }
}
