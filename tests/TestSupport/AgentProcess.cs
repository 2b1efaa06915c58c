namespace SysMon.TestSupport;

/// <summary>A real agent started from its build output.</summary>
public static class AgentProcess
{
    public static ChildProcess Start(string machineId, Uri hubGrpcUrl, params string[] extraArguments) =>
        ChildProcess.Start($"agent {machineId}", "dotnet",
            [RepoPaths.AgentDll, "--hub", hubGrpcUrl.ToString().TrimEnd('/'), "--machine-id", machineId, .. extraArguments]);
}
