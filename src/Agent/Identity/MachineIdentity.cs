using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SysMon.Agent.Platforms.Windows;
using SysMon.Agent.Platforms.MacOS;

namespace SysMon.Agent.Identity;

/// <summary>Decides the stable id an agent reports its host under.</summary>
internal static class MachineIdentity
{
    /// <summary>Longest id the contract allows.</summary>
    public const int MaxLength = 128;

    /// <summary>Name of the file the generated id is persisted in, inside the state directory.</summary>
    public const string StateFileName = "machine-id";

    /// <summary>Where the id is persisted when no state directory is configured.</summary>
    public const string DefaultStateDirectory = "/var/lib/sysmon-agent";

    /// <summary>
    /// The configured id if it is usable; else &lt;etc&gt;/machine-id (on Windows the registry's MachineGuid); else an
    /// id persisted in the state directory (on Windows %ProgramData%\SysMon), generated on first use. A host with none of these writable still gets an id, but a new one per run.
    /// </summary>
    public static string Resolve(string? configuredId, string etcRoot, string? stateDirectory, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (Sanitize(configuredId) is { Length: > 0 } configured)
        {
            return configured;
        }

        // Windows has no /etc/machine-id; its equivalent is the MachineGuid written at install.
        if (OperatingSystem.IsWindows())
        {
            if (Sanitize(WindowsSystemInfo.ReadMachineGuid()) is { Length: > 0 } machineGuid)
            {
                return machineGuid;
            }
        }
        else if (Sanitize(TryRead(Path.Join(etcRoot, "machine-id"))) is { Length: > 0 } fromEtc)
        {
            return fromEtc;
        }

        // macOS has no /etc/machine-id; its hardware UUID is as stable (kern.uuid is not: it names the kernel build).
        if (OperatingSystem.IsMacOS() && Sanitize(MacNative.TryHostUuid()) is { Length: > 0 } hardwareUuid)
        {
            return hardwareUuid;
        }

        var generated = Guid.NewGuid().ToString("N");
        foreach (var directory in StateDirectoryCandidates(stateDirectory))
        {
            var path = Path.Join(directory, StateFileName);
            if (Sanitize(TryRead(path)) is { Length: > 0 } persisted)
            {
                return persisted;
            }

            try
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(path, generated + "\n");
                logger.LogInformation("Generated machine id {MachineId} and saved it in {Path}.", generated, path);
                return generated;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogDebug(e, "Cannot persist the machine id in {Directory}.", directory);
            }
        }

        logger.LogWarning(
            "No machine id configured, none in {EtcRoot}/machine-id, and no writable state directory: using {MachineId} for this run only.",
            etcRoot, generated);
        return generated;
    }

    /// <summary>Keeps [A-Za-z0-9._-] (anything else becomes '_'), trims, cuts to 128 chars; null stays null.</summary>
    public static string? Sanitize(string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        var trimmed = raw.Trim();
        var builder = new StringBuilder(Math.Min(trimmed.Length, MaxLength));
        foreach (var c in trimmed)
        {
            if (builder.Length == MaxLength)
            {
                break;
            }

            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Where the id is persisted on Windows when no state directory is configured: %ProgramData%\SysMon.</summary>
    public static string WindowsStateDirectory =>
        Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "SysMon");

    /// <summary>The configured state directory (or the system default), then the per-user fallback.</summary>
    internal static IEnumerable<string> StateDirectoryCandidates(string? configured)
    {
        if (OperatingSystem.IsWindows())
        {
            yield return string.IsNullOrWhiteSpace(configured) ? WindowsStateDirectory : configured;
            yield return Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SysMon");
            yield break;
        }

        yield return string.IsNullOrWhiteSpace(configured) ? DefaultStateDirectory : configured;

        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
            {
                yield break;
            }

            stateHome = Path.Join(home, ".local", "state");
        }

        yield return Path.Join(stateHome, "sysmon-agent");
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
