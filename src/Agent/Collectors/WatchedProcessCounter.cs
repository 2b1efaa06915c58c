using System.Text;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>
/// Counts running processes by name for <see cref="AgentOptions.WatchProcesses"/>, for every platform's process
/// collector: each configured name is turned once into what that platform shows for such a process, each process
/// of a sample is compared against those, and the counts go into the sample in configured order.
/// </summary>
/// <remarks>
/// Called once per process per sample, so it allocates nothing there: the name comes as a span, is compared with
/// strings made at construction, and counts live in one array cleared per sample. Not thread-safe, like its collector.
/// </remarks>
internal sealed class WatchedProcessCounter
{
    /// <summary>The longest comm Linux keeps, bytes (TASK_COMM_LEN 16, less the terminating NUL).</summary>
    internal const int LinuxCommBytes = 15;

    /// <summary>The longest name macOS keeps (p_name, 2 × MAXCOMLEN), bytes.</summary>
    internal const int MacNameBytes = 32;

    private const string WindowsImageSuffix = ".exe";

    private readonly string[] _names;
    private readonly string[] _shownAs;
    private readonly uint[] _counts;
    private readonly StringComparison _comparison;
    private readonly bool _dropExeSuffix;

    private WatchedProcessCounter(IReadOnlyList<string> names, Func<string, string> shownAs, StringComparison comparison, bool dropExeSuffix)
    {
        _names = [.. names];
        _shownAs = [.. _names.Select(shownAs)];
        _counts = new uint[_names.Length];
        _comparison = comparison;
        _dropExeSuffix = dropExeSuffix;
    }

    /// <summary>Watches nothing: every call is a no-op and samples get no entries.</summary>
    public static WatchedProcessCounter None { get; } = ForLinux([]);

    /// <summary>
    /// Linux: the comm in /proc/PID/stat, exact case. The kernel cuts comm to 15 bytes (maybe inside a UTF-8
    /// sequence), so a longer name is compared as its first 15 bytes, decoded as the stat file's text is.
    /// </summary>
    public static WatchedProcessCounter ForLinux(IReadOnlyList<string> names) =>
        new(names, name => CutUtf8(name, LinuxCommBytes), StringComparison.Ordinal, dropExeSuffix: false);

    /// <summary>Windows: the image name ("nginx.exe") without ".exe", ignoring case as Windows does.</summary>
    public static WatchedProcessCounter ForWindows(IReadOnlyList<string> names) =>
        new(names, DropExeSuffix, StringComparison.OrdinalIgnoreCase, dropExeSuffix: true);

    /// <summary>macOS: proc_name's name, exact case, cut to 32 bytes by the kernel.</summary>
    public static WatchedProcessCounter ForMacOS(IReadOnlyList<string> names) =>
        new(names, name => CutUtf8(name, MacNameBytes), StringComparison.Ordinal, dropExeSuffix: false);

    /// <summary>True when no name is watched; collectors skip the per-process work then.</summary>
    public bool IsEmpty => _names.Length == 0;

    /// <summary>The configured names, in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Starts a sample: every count back to 0.</summary>
    public void Reset() => Array.Clear(_counts);

    /// <summary>Counts one running process whose short name is <paramref name="name"/> (as the platform shows it).</summary>
    public void Count(ReadOnlySpan<char> name)
    {
        if (_dropExeSuffix && name.EndsWith(WindowsImageSuffix, StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^WindowsImageSuffix.Length];
        }

        // Usually a handful of names, so a scan beats hashing; two configured names may share one shown name
        // (both longer than a cut comm), and then both count the process.
        for (var i = 0; i < _shownAs.Length; i++)
        {
            if (name.Equals(_shownAs[i], _comparison))
            {
                _counts[i]++;
            }
        }
    }

    /// <summary><see cref="Count(ReadOnlySpan{char})"/> for a UTF-8 name of at most <see cref="MacNameBytes"/> bytes.</summary>
    public void CountUtf8(ReadOnlySpan<byte> name)
    {
        if (IsEmpty)
        {
            return;
        }

        // UTF-8 never decodes to more chars than it has bytes.
        Span<char> chars = stackalloc char[MacNameBytes];
        var length = Encoding.UTF8.GetChars(name[..Math.Min(name.Length, MacNameBytes)], chars);
        Count(chars[..length]);
    }

    /// <summary>Adds one entry per configured name, in configured order, to <paramref name="sample"/>.</summary>
    public void AddTo(Sample sample)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            sample.WatchedProcesses.Add(new WatchedProcessSample { Name = _names[i], Count = _counts[i] });
        }
    }

    /// <summary>The first <paramref name="maxBytes"/> bytes of <paramref name="name"/>'s UTF-8, decoded again.</summary>
    internal static string CutUtf8(string name, int maxBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        return bytes.Length <= maxBytes ? name : Encoding.UTF8.GetString(bytes, 0, maxBytes);
    }

    private static string DropExeSuffix(string name) =>
        name.EndsWith(WindowsImageSuffix, StringComparison.OrdinalIgnoreCase) ? name[..^WindowsImageSuffix.Length] : name;
}

/// <summary>A process collector that can count processes by name (<see cref="AgentOptions.WatchProcesses"/>).</summary>
internal interface IWatchesProcesses
{
    /// <summary>The names to count in every sample from now on, in the order samples report them.</summary>
    void Watch(IReadOnlyList<string> names);
}
