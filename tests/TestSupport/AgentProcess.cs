namespace SysMon.TestSupport;

/// <summary>A real agent started from its build output.</summary>
public static class AgentProcess
{
    public static ChildProcess Start(string machineId, Uri hubGrpcUrl, params string[] extraArguments) =>
        Start(machineId, [hubGrpcUrl], extraArguments);

    /// <summary>An agent given several hubs (--hub a,b): it streams to the first and moves on when one dies.</summary>
    public static ChildProcess Start(string machineId, IEnumerable<Uri> hubGrpcUrls, params string[] extraArguments) =>
        ChildProcess.Start($"agent {machineId}", "dotnet",
            [RepoPaths.AgentDll, "--hub", string.Join(',', hubGrpcUrls.Select(u => u.ToString().TrimEnd('/'))), "--machine-id", machineId, .. extraArguments]);
}
