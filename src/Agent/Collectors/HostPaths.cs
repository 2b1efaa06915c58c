namespace SysMon.Agent.Collectors;

/// <summary>Where the host's pseudo filesystems and /etc are; fixture trees in tests.</summary>
internal sealed record HostPaths(string ProcRoot, string SysRoot, string EtcRoot)
{
    public static HostPaths Live { get; } = new("/proc", "/sys", "/etc");

    public static HostPaths From(AgentOptions options) => new(options.ProcRoot, options.SysRoot, options.EtcRoot);

    public string Proc(string relative) => Path.Join(ProcRoot, relative);

    public string Sys(string relative) => Path.Join(SysRoot, relative);

    public string Etc(string relative) => Path.Join(EtcRoot, relative);
}
