using System.Text;
using SysMon.Agent.Collectors;
using SysMon.Agent.Native;

namespace SysMon.Agent.Tests.Collectors;

public sealed class ProcReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sysmon-procreader-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ReadsAFileLargerThanItsStartingBufferWhole()
    {
        // /proc/PID/status and /proc/cpuinfo on big hosts exceed the 4 KB the reader starts with.
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i}\n"));
        var path = Path.Join(_directory, "big");
        File.WriteAllText(path, text);

        var reader = new ProcReader();

        Assert.True(reader.TryReadText(path, out var read));
        Assert.Equal(text, read.ToString());
    }

    [Fact]
    public void AMissingFileIsFalseAndReadTextNamesThePath()
    {
        var reader = new ProcReader();
        var path = Path.Join(_directory, "missing");

        Assert.False(reader.TryReadText(path, out _));
        var error = Assert.Throws<IOException>(() => reader.ReadText(path).ToString());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidUtf8BecomesReplacementCharactersNotAnError()
    {
        var path = Path.Join(_directory, "bad");
        File.WriteAllBytes(path, [(byte)'a', 0xff, (byte)'b']);

        Assert.True(new ProcReader().TryReadText(path, out var read));
        Assert.Equal("a\uFFFDb", read.ToString());
    }

    [Fact]
    public void ForEachEntryListsEveryNameInADirectory()
    {
        foreach (var name in new[] { "1", "22", "self" })
        {
            Directory.CreateDirectory(Path.Join(_directory, name));
        }

        var names = new List<string>();
        Assert.True(RawFile.ForEachEntry(ProcReader.NullTerminated(_directory), ref names,
            static (name, ref list) => list.Add(Encoding.UTF8.GetString(name))));

        Assert.Equal(["1", "22", "self"], names.Where(n => n is not "." and not "..").Order(StringComparer.Ordinal));
        Assert.False(RawFile.ForEachEntry(ProcReader.NullTerminated(Path.Join(_directory, "none")), ref names,
            static (_, ref _) => { }));
    }
}
