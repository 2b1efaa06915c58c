namespace SysMon.Agent.Collectors;

/// <summary>
/// Where the host's pseudo filesystems, /etc and root filesystem are: the agent's own in the plain case, the
/// host's when run in a container with the host mounted in (<c>--host-root /host</c>), fixture trees in tests.
/// </summary>
/// <param name="RootFs">The host's "/" as the agent sees it; runtime metadata (/var/lib/docker …) and mount points
/// are found under it. "/" when the agent runs on the host.</param>
internal sealed record HostPaths(string ProcRoot, string SysRoot, string EtcRoot, string RootFs = "/")
{
    private const string DefaultProcRoot = "/proc";
    private const string DefaultSysRoot = "/sys";
    private const string DefaultEtcRoot = "/etc";

    public static HostPaths Live { get; } = new(DefaultProcRoot, DefaultSysRoot, DefaultEtcRoot);

    /// <summary>
    /// The paths <paramref name="options"/> describe. With a host root, proc, sys and etc default to the folders
    /// under it; one set explicitly (anything but its default) still wins.
    /// </summary>
    public static HostPaths From(AgentOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.HostRoot))
        {
            return new(options.ProcRoot, options.SysRoot, options.EtcRoot);
        }

        var root = options.HostRoot.TrimEnd('/');
        if (root.Length == 0)
        {
            // "--host-root /" is the plain host.
            return new(options.ProcRoot, options.SysRoot, options.EtcRoot);
        }

        return new(
            options.ProcRoot == DefaultProcRoot ? root + DefaultProcRoot : options.ProcRoot,
            options.SysRoot == DefaultSysRoot ? root + DefaultSysRoot : options.SysRoot,
            options.EtcRoot == DefaultEtcRoot ? root + DefaultEtcRoot : options.EtcRoot,
            root);
    }

    /// <summary>
    /// True when the host's root is mounted in somewhere else, so the agent runs in a container of its own: its
    /// network and mount namespaces are then not the host's, and host-wide views are read through pid 1.
    /// </summary>
    public bool HostMountedIn => RootFs != "/";

    /// <summary>
    /// A per-namespace procfs file ("net/dev", "mounts") as the host sees it. /proc/net and /proc/mounts show the
    /// reading process's own namespaces, the container's when the host is mounted in, so those come from the
    /// host's init, pid 1.
    /// </summary>
    public string HostNamespaceProc(string relative) => HostMountedIn ? Path.Join(ProcRoot, "1", relative) : Proc(relative);

    /// <summary>
    /// True when these are the agent's own /proc and /sys (not a host's mounted in, not a fixture tree), so its own
    /// cgroup can be looked up in them.
    /// </summary>
    public bool IsOwnView => ProcRoot == DefaultProcRoot && SysRoot == DefaultSysRoot && !HostMountedIn;

    public string Proc(string relative) => Path.Join(ProcRoot, relative);

    public string Sys(string relative) => Path.Join(SysRoot, relative);

    public string Etc(string relative) => Path.Join(EtcRoot, relative);

    /// <summary>A path of the host's filesystem ("/var/lib/docker") as the agent can open it.</summary>
    public string Root(string absolute) => RootFs == "/" ? absolute : Path.Join(RootFs, absolute);
}
