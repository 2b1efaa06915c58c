namespace SysMon.Agent.Collectors;

/// <summary>Whether the agent itself runs inside a container.</summary>
internal static class ContainerDetection
{
    /// <summary>
    /// True when a container runtime left its mark: Docker's /.dockerenv, Podman's /run/.containerenv, the
    /// <c>container</c> variable systemd-nspawn and Podman set, or a Kubernetes service environment.
    /// </summary>
    /// <remarks>
    /// These describe the agent's own root, never the configured host root: with the host's /proc mounted in,
    /// the agent still runs in a container, it just reports the host.
    /// </remarks>
    public static bool IsInContainer()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        return File.Exists("/.dockerenv")
            || File.Exists("/run/.containerenv")
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("container"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"));
    }
}
