using System.Globalization;

namespace SysMon.Agent.Collectors;

/// <summary>Parsers for the cgroup v1 and v2 files the memory and container collectors read.</summary>
internal static class CgroupFiles
{
    // cgroup v1 has no "max": an unlimited memory.limit_in_bytes is PAGE_COUNTER_MAX pages in bytes
    // (9223372036854771712 with 4 KiB pages, a little less with larger ones). Nothing real is 4 EiB.
    private const ulong V1UnlimitedThreshold = 1UL << 62;

    /// <summary>
    /// The value of <paramref name="key"/> in a "key value" file (cpu.stat's usage_usec, memory.stat's
    /// inactive_file); 0 when the key is missing.
    /// </summary>
    public static ulong ParseKeyedValue(ReadOnlySpan<char> text, ReadOnlySpan<char> key)
    {
        foreach (var line in text.EnumerateLines())
        {
            var fields = new FieldReader(line);
            if (fields.TryNext(out var name) && name.SequenceEqual(key))
            {
                return fields.NextUInt64();
            }
        }

        return 0;
    }

    /// <summary>A file holding one number (memory.current, cpuacct.usage, pids.current); 0 when malformed.</summary>
    public static ulong ParseSingleValue(ReadOnlySpan<char> text) => ProcFile.ParseUInt64(text.Trim());

    /// <summary>cgroup v2's memory.max: bytes, or 0 for "max" (unlimited).</summary>
    public static ulong ParseV2Limit(ReadOnlySpan<char> text)
    {
        var value = text.Trim();
        return value.SequenceEqual("max") ? 0 : ProcFile.ParseUInt64(value);
    }

    /// <summary>cgroup v1's memory.limit_in_bytes: bytes, or 0 when it is the "unlimited" near-2^63 value.</summary>
    public static ulong ParseV1Limit(ReadOnlySpan<char> text)
    {
        var value = ProcFile.ParseUInt64(text.Trim());
        return value >= V1UnlimitedThreshold ? 0 : value;
    }

    /// <summary>How many lines (pids) a cgroup.procs holds.</summary>
    public static uint CountLines(ReadOnlySpan<char> text)
    {
        uint count = 0;
        foreach (var line in text.EnumerateLines())
        {
            if (!line.IsWhiteSpace())
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The first pid in a cgroup.procs, or 0 when it is empty.</summary>
    public static int FirstPid(ReadOnlySpan<char> text)
    {
        foreach (var line in text.EnumerateLines())
        {
            if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
            {
                return pid;
            }
        }

        return 0;
    }

    /// <summary>
    /// The cgroup v2 path in a /proc/PID/cgroup ("0::/system.slice/x.service" → "/system.slice/x.service"), or null
    /// when the process is in no v2 hierarchy (a pure v1 host).
    /// </summary>
    public static string? ParseV2Path(ReadOnlySpan<char> text)
    {
        foreach (var line in text.EnumerateLines())
        {
            if (line.StartsWith("0::"))
            {
                var path = line[3..].Trim();
                return path.StartsWith('/') ? path.ToString() : null;
            }
        }

        return null;
    }
}
