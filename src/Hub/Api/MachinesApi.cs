using Microsoft.Extensions.Options;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Api;

/// <summary>REST endpoints about machines.</summary>
public static class MachinesApi
{
    public static IEndpointRouteBuilder MapMachinesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/machines").AddEndpointFilter(RegistryUnavailableFilter);
        api.MapGet("/", ListMachinesAsync);
        api.MapGet("/{id}", GetMachineAsync);
        return app;
    }

    /// <summary>Redis down is a state the hub lives through, not a bug: 503 with a reason, not a 500 with a stack.</summary>
    private static async ValueTask<object?> RegistryUnavailableFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Registry unavailable",
                detail: "The hub cannot reach Redis right now; it reconnects by itself. Try again shortly.");
        }
    }

    /// <summary>Every machine any hub has seen, sorted by host name.</summary>
    public static async Task<IResult> ListMachinesAsync(IMachineRegistry registry, IOptions<HubOptions> options, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var offlineAfter = TimeSpan.FromSeconds(options.Value.OfflineAfterSeconds);
        var machines = await registry.ListAsync();
        return Results.Ok(machines
            .Select(m => MachineDto.From(m, now, offlineAfter))
            .OrderBy(m => m.Hostname, StringComparer.OrdinalIgnoreCase)
            .ThenBy(m => m.Id, StringComparer.Ordinal));
    }

    /// <summary>One machine's metadata and state; 404 for an unknown id.</summary>
    public static async Task<IResult> GetMachineAsync(string id, IMachineRegistry registry, IOptions<HubOptions> options, TimeProvider time)
    {
        if (!MachineId.IsValid(id))
        {
            return Results.Problem(statusCode: 400, title: "Invalid machine id",
                detail: $"Use 1 to {MachineId.MaxLength} characters of A-Z, a-z, 0-9, '.', '_' or '-'.");
        }
        var machine = (await registry.ListAsync()).FirstOrDefault(m => m.Id == id);
        if (machine is null)
        {
            return Results.Problem(statusCode: 404, title: "Unknown machine", detail: $"No hub has seen machine '{id}'.");
        }
        return Results.Ok(MachineDto.From(machine, time.GetUtcNow(), TimeSpan.FromSeconds(options.Value.OfflineAfterSeconds)));
    }
}

/// <summary>A machine as REST clients see it.</summary>
public sealed record MachineDto(
    string Id,
    string Hostname,
    string Os,
    string OsVersion,
    string KernelVersion,
    string Architecture,
    string CpuModel,
    uint LogicalCores,
    uint PhysicalCores,
    ulong MemoryTotalBytes,
    string AgentVersion,
    DateTimeOffset? BootTime,
    bool Online,
    DateTimeOffset? LastSeen)
{
    public static MachineDto From(MachineRecord m, DateTimeOffset now, TimeSpan offlineAfter)
    {
        var h = m.Hello;
        // "os" is what a person reads in a list: the distribution with its version when both are known.
        var os = string.IsNullOrEmpty(h.OsVersion) ? h.OsName : $"{h.OsName} {h.OsVersion}";
        return new MachineDto(
            h.MachineId, h.Hostname, os, h.OsVersion, h.KernelVersion, h.Architecture, h.CpuModel,
            h.LogicalCores, h.PhysicalCores, h.MemoryTotalBytes, h.AgentVersion,
            h.BootTimeUnixSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(h.BootTimeUnixSeconds) : null,
            m.IsOnline(now, offlineAfter), m.LastSeen);
    }
}
