using System.Management.Automation.Language;
using Xunit;

namespace SysMon.Deploy.Tests;

/// <summary>
/// The Windows agent install script cannot run here (no Windows, no PowerShell), but PowerShell's own parser
/// can read it: a syntax error, an unclosed string or a broken here-string fails CI instead of a user's install.
/// </summary>
public sealed class WindowsScriptTests
{
    private static string Script => Path.Combine(SysMon.TestSupport.RepoPaths.Root, "packaging", "windows", "install.ps1");

    [Fact]
    public void PowerShellParsesTheInstallScriptWithoutErrors()
    {
        var ast = Parser.ParseFile(Script, out _, out var errors);

        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"line {e.Extent.StartLineNumber}: {e.Message}")));
        // Its parameters are the documented ones.
        var parameters = ast.ParamBlock.Parameters.Select(p => p.Name.VariablePath.UserPath).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Superset(new HashSet<string>(["Hub", "TokenFile", "CaFile", "HubFingerprint", "AllowPlaintext", "Tags", "WatchProcesses", "Binary",
            "Uninstall", "Purge"], StringComparer.OrdinalIgnoreCase), parameters);
    }

    [Fact]
    public void ABrokenScriptIsReported()
    {
        Parser.ParseInput("param([string]$Hub)\nif ($Hub -eq 'x' {\n  Write-Output \"unclosed\n", out _, out var errors);
        Assert.NotEmpty(errors);
    }
}
