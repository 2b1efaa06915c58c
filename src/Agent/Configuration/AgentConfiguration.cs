using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SysMon.Agent.Cli;

namespace SysMon.Agent.Configuration;

/// <summary>
/// Where the agent's settings come from, lowest to highest precedence: defaults in <see cref="AgentOptions"/>, the
/// configuration file, the environment (<c>Agent__HubUrl</c>), the command line.
/// </summary>
/// <remarks>
/// The file is read by hand rather than through AddJsonFile so that a misspelt key, a nested object or a
/// malformed file is an error with the file's name and the key in it, not a setting silently ignored.
/// </remarks>
internal static class AgentConfiguration
{
    /// <summary>Environment variable naming the configuration file, for hosts that cannot pass <c>--config</c>.</summary>
    public const string ConfigFileVariable = "Agent__ConfigFile";

    /// <summary>Every key of the <c>Agent</c> section, as in <see cref="AgentOptions"/> (matched case-insensitively).</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        nameof(AgentOptions.HubUrl), nameof(AgentOptions.Token), nameof(AgentOptions.TokenFile),
        nameof(AgentOptions.CaFile), nameof(AgentOptions.HubFingerprint), nameof(AgentOptions.AllowPlaintext),
        nameof(AgentOptions.ClientCertificate), nameof(AgentOptions.ClientKey),
        nameof(AgentOptions.MachineId), nameof(AgentOptions.SampleIntervalMs), nameof(AgentOptions.TopProcesses),
        nameof(AgentOptions.BufferSeconds), nameof(AgentOptions.AckTimeoutSeconds),
        nameof(AgentOptions.DisabledCollectors), nameof(AgentOptions.ProcRoot), nameof(AgentOptions.SysRoot),
        nameof(AgentOptions.EtcRoot), nameof(AgentOptions.HostRoot), nameof(AgentOptions.StateDirectory), nameof(AgentOptions.LogLevel),
        nameof(AgentOptions.LogFormat), nameof(AgentOptions.Tags), nameof(AgentOptions.WatchProcesses),
    ];

    private static readonly HashSet<string> s_keys = new(Keys, StringComparer.OrdinalIgnoreCase);

    /// <summary>The file read when none is named: /etc/sysmon/agent.json, or %ProgramData%\SysMon\agent.json on Windows.</summary>
    public static string DefaultConfigFile { get; } = OperatingSystem.IsWindows()
        ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "SysMon", "agent.json")
        : "/etc/sysmon/agent.json";

    /// <summary>
    /// Adds the file, the environment and the command line to <paramref name="configuration"/>. Returns the
    /// problems found (an unreadable or malformed file, unknown keys); the configuration is unusable if any.
    /// </summary>
    public static List<string> AddSources(
        IConfigurationBuilder configuration, AgentCommandLine commandLine, Func<string, string?> environment)
    {
        var errors = new List<string>();
        var named = commandLine.ConfigFile ?? NullIfEmpty(environment(ConfigFileVariable));
        var path = named ?? (File.Exists(DefaultConfigFile) ? DefaultConfigFile : null);
        if (path is not null)
        {
            try
            {
                configuration.AddInMemoryCollection(ReadFile(File.ReadAllText(path), path, errors));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"Cannot read the configuration file {path}: {e.Message}");
            }
        }

        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(commandLine.Settings);
        return errors;
    }

    /// <summary>
    /// Turns a configuration file (one JSON object of <see cref="Keys"/>; strings, numbers, booleans, or arrays of
    /// strings for the list settings) into <c>Agent:</c> keys. Problems go to <paramref name="errors"/>, naming
    /// <paramref name="source"/>.
    /// </summary>
    public static Dictionary<string, string?> ReadFile(string json, string source, List<string> errors)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
        }
        catch (JsonException e)
        {
            errors.Add($"{source} is not valid JSON: {e.Message}");
            return settings;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{source} must hold one JSON object of settings, e.g. {{\"HubUrl\": \"http://hub:5001\"}}.");
                return settings;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!s_keys.Contains(property.Name))
                {
                    errors.Add($"{source}: unknown setting '{property.Name}'. Known settings: {string.Join(", ", Keys)}.");
                    continue;
                }

                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue; // null leaves the default, as an absent key does
                }

                if (ToText(property.Value) is { } text)
                {
                    settings[$"{AgentOptions.SectionName}:{property.Name}"] = text;
                }
                else
                {
                    errors.Add($"{source}: setting '{property.Name}' must be a string, a number, true/false or a list of strings, not {property.Value.ValueKind}.");
                }
            }
        }

        return settings;
    }

    /// <summary>Keys of the merged <c>Agent</c> section that no setting has (typos in the environment, say).</summary>
    public static IEnumerable<string> UnknownKeys(IConfiguration configuration) =>
        configuration.GetSection(AgentOptions.SectionName).GetChildren()
            .Select(c => c.Key)
            .Where(k => !s_keys.Contains(k) && !k.Equals("ConfigFile", StringComparison.OrdinalIgnoreCase));

    /// <summary>Binds the <c>Agent</c> section, turning a value of the wrong type into an error instead of an exception.</summary>
    public static AgentOptions Bind(IConfiguration configuration, List<string> errors)
    {
        var options = new AgentOptions();
        try
        {
            configuration.GetSection(AgentOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value '…' at 'Agent:TopProcesses' to type 'System.Int32'."
            errors.Add(e.Message);
        }

        options.WatchProcesses = ReadList(configuration, nameof(AgentOptions.WatchProcesses), errors) ?? options.WatchProcesses;
        return options;
    }

    /// <summary>
    /// A list setting as one comma-separated value, whether its source gave one value ("Agent:WatchProcesses" =
    /// "nginx,postgres": the file, the command line) or indexed keys ("Agent:WatchProcesses:0" = "nginx": how .NET
    /// spells a list in the environment, <c>Agent__WatchProcesses__0</c>); null when no source gives it.
    /// </summary>
    /// <remarks>
    /// The binder reads only the one value and would silently drop indexed keys. Sources are asked highest
    /// precedence first, so indexed keys in the environment still lose to the command line and beat the file.
    /// </remarks>
    internal static string? ReadList(IConfiguration configuration, string key, List<string> errors)
    {
        var path = $"{AgentOptions.SectionName}:{key}";
        if (configuration is not IConfigurationRoot root)
        {
            return configuration[path];
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (provider.TryGet(path, out var value))
            {
                return value;
            }

            var indexes = new SortedDictionary<int, string?>();
            foreach (var child in provider.GetChildKeys([], path).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (!int.TryParse(child, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    errors.Add($"{key}: '{path}:{child}' is not a list entry; give a comma-separated value or {path}:0, {path}:1, ….");
                    continue;
                }

                provider.TryGet($"{path}:{child}", out var entry);
                indexes[index] = entry;
            }

            if (indexes.Count > 0)
            {
                return string.Join(',', indexes.Values);
            }
        }

        return null;
    }

    private static string? ToText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        // HubUrl, DisabledCollectors, Tags and WatchProcesses are comma-separated lists; a JSON list reads better in a file.
        JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            string.Join(',', value.EnumerateArray().Select(e => e.GetString())),
        _ => null,
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
