namespace SysMon.Agent.Collectors;

/// <summary>
/// Where the host's pseudo filesystems, /etc and root filesystem are: the agent's own in the plain case, the
/// host's when run in a container with the host mounted in (<c>--host-root /host</c>), fixture trees in tests.
/// </summary>
/// <param name="RootFs">The host's "/" as the agent sees it; runtime metadata (/var/lib/docker …) and mount points
/// are found under it. "/" when the agent runs on the host.</param>
internal sealed record HostPaths(string ProcRoot, string SysRoot, string EtcRoot, string RootFs = "/")
{
    public static HostPaths Live { get; } = new("/proc", "/sys", "/etc");

    public static HostPaths From(AgentOptions options) => new(options.ProcRoot, options.SysRoot, options.EtcRoot);

    public string Proc(string relative) => Path.Join(ProcRoot, relative);

    public string Sys(string relative) => Path.Join(SysRoot, relative);

    public string Etc(string relative) => Path.Join(EtcRoot, relative);

    /// <summary>A path of the host's filesystem ("/var/lib/docker") as the agent can open it.</summary>
    public string Root(string absolute) => RootFs == "/" ? absolute : Path.Join(RootFs, absolute);
}
