using Microsoft.Extensions.Logging;

namespace SysMon.Agent.Identity;

/// <summary>
/// The credential a hub issued to this agent when it enrolled (docs/security.md, "Agents"), kept in the
/// state directory beside the generated machine id, readable and writable by the agent's user only
/// (mode 0600 on Linux and macOS). An agent that has one presents it instead of its enrollment token.
/// </summary>
public sealed class AgentCredentialFile(string? stateDirectory, ILogger logger)
{
    public const string FileName = "credential";
    public const string CredentialPrefix = "smc_";

    /// <summary>The saved credential, or null when there is none (not enrolled yet).</summary>
    public string? Load()
    {
        foreach (var directory in MachineIdentity.StateDirectoryCandidates(stateDirectory))
        {
            try
            {
                var text = File.ReadAllText(Path.Join(directory, FileName)).Trim();
                if (text.StartsWith(CredentialPrefix, StringComparison.Ordinal))
                {
                    return text;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not in this directory; try the next.
            }
        }
        return null;
    }

    /// <summary>
    /// The saved credential to present instead of <paramref name="configuredToken"/>, or null to present
    /// that token: a token that is itself a credential (the hub's in-process agent) wins over the file.
    /// </summary>
    public string? LoadUnlessConfigured(string? configuredToken) =>
        configuredToken?.StartsWith(CredentialPrefix, StringComparison.Ordinal) == true ? null : Load();

    /// <summary>Saves <paramref name="credential"/> in the first writable state directory; its path, or null when none was.</summary>
    public string? Save(string credential)
    {
        foreach (var directory in MachineIdentity.StateDirectoryCandidates(stateDirectory))
        {
            var path = Path.Join(directory, FileName);
            var temporary = path + ".tmp";
            try
            {
                Directory.CreateDirectory(directory);
                File.Delete(temporary);
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // created 0600, never readable by others
                }
                using (var file = new StreamWriter(temporary, System.Text.Encoding.ASCII, create))
                {
                    file.Write(credential + "\n");
                }
                File.Move(temporary, path, overwrite: true);
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogDebug(e, "Cannot save the credential in {Directory}.", directory);
            }
        }
        return null;
    }
}
