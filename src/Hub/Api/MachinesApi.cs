using System.Security.Claims;
using Microsoft.Extensions.Options;
using SysMon.Hub.Accounts;
using SysMon.Hub.Realtime;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Api;

/// <summary>REST endpoints about machines.</summary>
public static class MachinesApi
{
    public static IEndpointRouteBuilder MapMachinesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/machines").AddEndpointFilter(RedisOutageFilter.AsServiceUnavailable)
            .AddEndpointFilter(MachineAccess.OnlyVisibleMachines);
        api.MapGet("/", ListMachinesAsync);
        api.MapGet("/{id}", GetMachineAsync);
        api.MapHistoryApi();
        // The fleet's numbers in one request, so the fleet page draws before its SignalR connection is up.
        app.MapGet("/api/fleet", (IMachineRegistry registry, IOptions<HubOptions> options, TimeProvider time, ClaimsPrincipal user) =>
                FleetRecord.SnapshotAsync(registry, time.GetUtcNow(), options.Value.OfflineAfter, MachineAccess.Restriction(user)))
            .AddEndpointFilter(RedisOutageFilter.AsServiceUnavailable);
        return app;
    }

    /// <summary>Every machine any hub has seen, sorted by host name.</summary>
    public static async Task<IResult> ListMachinesAsync(IMachineRegistry registry, IOptions<HubOptions> options, TimeProvider time, ClaimsPrincipal user)
    {
        var now = time.GetUtcNow();
        var offlineAfter = options.Value.OfflineAfter;
        var machines = await registry.ListAsync();
        return Results.Ok(machines.Visible(MachineAccess.Restriction(user))
            .Select(m => MachineDto.From(m, now, offlineAfter))
            .OrderBy(m => m.Hostname, StringComparer.OrdinalIgnoreCase)
            .ThenBy(m => m.Id, StringComparer.Ordinal));
    }

    /// <summary>One machine's metadata, state and last sample; 400 for an invalid id, 404 for an unknown one.</summary>
    public static async Task<IResult> GetMachineAsync(string id, IMachineRegistry registry, IOptions<HubOptions> options, TimeProvider time)
    {
        if (InvalidId(id) is { } invalid)
        {
            return invalid;
        }
        var machine = await registry.GetAsync(id, withLastSample: true);
        if (machine is null)
        {
            return UnknownMachine(id);
        }
        return Results.Ok(MachineDto.From(machine, time.GetUtcNow(), options.Value.OfflineAfter) with
        {
            LastSample = machine.LastSample is { } last ? new LiveSample(id, last) : null,
        });
    }

    /// <summary>400 with the rule when <paramref name="id"/> cannot be a machine id, else null.</summary>
    internal static IResult? InvalidId(string id) => MachineId.IsValid(id)
        ? null
        : Results.Problem(statusCode: 400, title: "Invalid machine id",
            detail: $"Machine ids {MachineId.Rule}.");

    internal static IResult UnknownMachine(string id) =>
        Results.Problem(statusCode: 404, title: "Unknown machine", detail: $"No hub has seen machine '{id}'.");
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
    /// <summary>The tags its agent reports (<c>--tags</c>).</summary>
    public string[] Tags { get; init; } = [];

    /// <summary>The latest sample (the shape of a live <c>sample</c> message); only in the one-machine answer.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public LiveSample? LastSample { get; init; }

    public static MachineDto From(MachineRecord m, DateTimeOffset now, TimeSpan offlineAfter)
    {
        var h = m.Hello;
        // "os" is what a person reads in a list: the distribution with its version when both are known.
        var os = string.IsNullOrEmpty(h.OsVersion) ? h.OsName : $"{h.OsName} {h.OsVersion}";
        return new MachineDto(
            h.MachineId, h.Hostname, os, h.OsVersion, h.KernelVersion, h.Architecture, h.CpuModel,
            h.LogicalCores, h.PhysicalCores, h.MemoryTotalBytes, h.AgentVersion,
            h.BootTimeUnixSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(h.BootTimeUnixSeconds) : null,
            m.IsOnline(now, offlineAfter), m.LastSeen)
        {
            Tags = [.. h.Tags],
        };
    }
}
