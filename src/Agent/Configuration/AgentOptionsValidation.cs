using Microsoft.Extensions.Logging;
using SysMon.Agent.Collectors;
using SysMon.Agent.Identity;
using SysMon.Agent.Streaming;

namespace SysMon.Agent.Configuration;

/// <summary>
/// Checks a daemon's settings before it starts, so a mistake stops it at once with a sentence that names the
/// setting, instead of a service that runs and reports nothing (or reports a silently clamped value).
/// </summary>
internal static class AgentOptionsValidation
{
    /// <summary>Exit code for a configuration the agent cannot run with (sysexits' EX_CONFIG); systemd does not restart on it.</summary>
    public const int ConfigErrorExitCode = 78;

    /// <summary>The log levels a setting may name.</summary>
    public static IReadOnlyList<string> LogLevels { get; } = Enum.GetNames<LogLevel>();

    /// <summary>The log formats a setting may name.</summary>
    public static IReadOnlyList<string> LogFormats { get; } = ["text", "json"];

    /// <summary>
    /// Every problem with <paramref name="options"/>, each naming its setting; empty when the agent can run.
    /// <paramref name="needsHub"/> is false for commands that never stream (<c>--once</c>, <c>--list-collectors</c>).
    /// </summary>
    public static List<string> Validate(AgentOptions options, bool needsHub = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        var hubs = HubAddresses.Parse(options.HubUrl, out var invalid);
        foreach (var entry in invalid)
        {
            errors.Add($"HubUrl: '{entry}' is not an absolute http:// or https:// URL (e.g. http://hub:5001).");
        }

        if (needsHub && !options.AllowPlaintext)
        {
            foreach (var hub in hubs.Where(u => u.Scheme == Uri.UriSchemeHttp && !u.IsLoopback))
            {
                errors.Add($"HubUrl: {hub.OriginalString} is plain HTTP/2 to another host: samples, command lines and tokens would cross the network unencrypted. " +
                    "Use https:// (with --ca-file or --hub-fingerprint for a private certificate), or set AllowPlaintext (--allow-plaintext) on a trusted network.");
            }
        }

        if (needsHub && hubs.Count == 0 && invalid.Count == 0)
        {
            errors.Add("HubUrl is empty: the agent has no hub to send samples to (--hub http://hub:5001).");
        }

        Range(errors, nameof(options.SampleIntervalMs), options.SampleIntervalMs,
            AgentOptions.MinSampleIntervalMs, AgentOptions.MaxSampleIntervalMs, "ms");
        Range(errors, nameof(options.TopProcesses), options.TopProcesses, 0, AgentOptions.MaxTopProcesses, "processes");
        Range(errors, nameof(options.BufferSeconds), options.BufferSeconds, 0, AgentOptions.MaxBufferSeconds, "s");
        Range(errors, nameof(options.AckTimeoutSeconds), options.AckTimeoutSeconds, 0, 3600, "s");

        try
        {
            HubTls.From(options);
        }
        catch (InvalidOperationException e)
        {
            errors.Add(e.Message);
        }

        if (options.MachineId is { } id && (id.Trim().Length == 0 || MachineIdentity.Sanitize(id) != id))
        {
            errors.Add($"MachineId '{id}' may hold only letters, digits, '.', '_' and '-', at most {MachineIdentity.MaxLength} characters.");
        }

        if (SysMon.Protocol.MachineTags.Problem(SysMon.Protocol.MachineTags.Parse(options.Tags)) is { } tagProblem)
        {
            errors.Add($"Tags: {tagProblem}");
        }

        var watched = options.WatchProcessNames;
        if (SysMon.Protocol.WatchedProcessNames.Problem(watched) is { } watchProblem)
        {
            errors.Add($"WatchProcesses: {watchProblem}");
        }
        else if (watched.Count > 0 && options.DisabledCollectorSet.Contains("processes"))
        {
            // The counts come from the processes collector: without it every sample would say "not watched".
            errors.Add("WatchProcesses: the processes collector is switched off (DisabledCollectors), so watched processes would never be counted.");
        }

        var known = CollectorCatalog.NamesFor(CollectorCatalog.Current).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in options.DisabledCollectorSet)
        {
            if (!CollectorCatalog.KnownNames.Contains(name))
            {
                errors.Add($"DisabledCollectors: no collector is called '{name}'. Collectors here: {string.Join(", ", known)}.");
            }
        }

        if (options.Token is not null && options.TokenFile is not null)
        {
            errors.Add("Token and TokenFile are both set: set one.");
        }
        else if (options.Token is { } token && CheckToken(token) is { } problem)
        {
            errors.Add($"Token {problem}");
        }

        if (!LogLevels.Contains(options.LogLevel, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"LogLevel '{options.LogLevel}' is not one of {string.Join(", ", LogLevels)}.");
        }

        if (!LogFormats.Contains(options.LogFormat, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"LogFormat '{options.LogFormat}' is not one of {string.Join(", ", LogFormats)}.");
        }

        if (OperatingSystem.IsLinux())
        {
            foreach (var (name, path) in new[]
                     {
                         (nameof(options.ProcRoot), options.ProcRoot), (nameof(options.SysRoot), options.SysRoot),
                         (nameof(options.EtcRoot), options.EtcRoot),
                     })
            {
                if (!Directory.Exists(path))
                {
                    errors.Add($"{name}: directory '{path}' does not exist.");
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// Reads <see cref="AgentOptions.TokenFile"/> into <see cref="AgentOptions.Token"/>; returns the problem, or
    /// null when there is no file or it held a usable token.
    /// </summary>
    public static string? LoadTokenFile(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TokenFile is not { } path || options.Token is not null)
        {
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"TokenFile: cannot read '{path}': {e.Message}";
        }

        if (CheckToken(text) is { } problem)
        {
            return $"TokenFile '{path}': the token {problem}";
        }

        options.Token = text;
        options.TokenFile = null;
        return null;
    }

    /// <summary>Why <paramref name="token"/> cannot go in an HTTP header, or null when it can.</summary>
    internal static string? CheckToken(string token)
    {
        if (token.Length == 0)
        {
            return "is empty.";
        }

        if (token.Length > AgentOptions.MaxTokenLength)
        {
            return $"is longer than {AgentOptions.MaxTokenLength} characters.";
        }

        // Anything else would be mangled or refused as a header value; say so here rather than as a hub error.
        return token.All(c => c is > ' ' and < '\u007f') ? null : "may hold only visible ASCII characters (no spaces).";
    }

    /// <summary>Hub addresses a token would cross in clear text (http:// to a host other than this one).</summary>
    public static IEnumerable<string> CleartextTokenHubs(AgentOptions options) =>
        options.Token is null
            ? []
            : HubAddresses.Parse(options.HubUrl, out _)
                .Where(u => u.Scheme == Uri.UriSchemeHttp && !u.IsLoopback)
                .Select(u => u.OriginalString);

    private static void Range(List<string> errors, string name, int value, int min, int max, string unit)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} is {value}; it must be {min}..{max} {unit}.");
        }
    }
}
