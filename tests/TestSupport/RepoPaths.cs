namespace SysMon.TestSupport;

/// <summary>Where the built hub and agent are: artifacts/bin/&lt;project&gt;/&lt;configuration&gt;/ (UseArtifactsOutput).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>"debug" or "release", the same as the test assembly's build.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;

    public static string HubDll => Built("SysMon.Hub", "SysMon.Hub.dll");

    public static string AgentDll => Built("SysMon.Agent", "sysmon-agent.dll");

    private static string Built(string project, string file)
    {
        var path = Path.Combine(Root, "artifacts", "bin", project, Configuration, file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing: build the solution first (dotnet build SysMon.sln).", path);
        }
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SysMon.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("SysMon.sln not found above " + AppContext.BaseDirectory);
    }
}
