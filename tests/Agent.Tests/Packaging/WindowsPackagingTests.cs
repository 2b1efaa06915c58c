namespace SysMon.Agent.Tests.Packaging;

/// <summary>
/// packaging/windows/install.ps1 cannot run here (no PowerShell on Linux CI); this is the one property of it that can
/// be checked without PowerShell and that breaks it on Windows PowerShell 5.1 alone.
/// </summary>
public sealed class WindowsPackagingTests
{
    [Fact]
    public void TheInstallScriptIsPlainAsciiSoWindowsPowerShell51ReadsItAsWritten()
    {
        // 5.1 reads a script without a byte order mark in the ANSI code page (Windows-1252 on most machines). A UTF-8
        // dash or curly quote then becomes bytes such as 0x94, which 5.1 reads as a closing double quote: the string
        // ends early and the script fails to parse, or quietly does something else, only there.
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Join(directory.FullName, "SysMon.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var lines = File.ReadAllLines(Path.Join(directory.FullName, "packaging", "windows", "install.ps1"), System.Text.Encoding.Latin1);

        var offending = lines.Select((line, index) => (Line: index + 1, Text: line))
            .Where(l => l.Text.Any(c => c > '\x7e' || (c < ' ' && c != '\t')))
            .ToList();

        Assert.True(offending.Count == 0,
            "install.ps1 must stay printable ASCII; other characters on lines " + string.Join(", ", offending.Select(l => l.Line)));
    }
}
