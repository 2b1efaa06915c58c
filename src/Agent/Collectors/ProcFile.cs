using System.Globalization;
using System.Text;

namespace SysMon.Agent.Collectors;

/// <summary>Reading and tokenising procfs/sysfs text.</summary>
internal static class ProcFile
{
    /// <summary>Reads a whole file, or null when it is missing, vanished or unreadable.</summary>
    /// <remarks>procfs reports a size of 0; File.ReadAllText reads until EOF, so that is fine.</remarks>
    public static string? TryReadAllText(string path)
    {
        try
        {
            // Invalid UTF-8 (process names are arbitrary bytes) decodes to U+FFFD instead of throwing.
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a whole file as bytes, or null when it is missing, vanished or unreadable.</summary>
    public static byte[]? TryReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses an unsigned decimal; malformed or missing fields read as 0 rather than failing the sample.</summary>
    public static ulong ParseUInt64(ReadOnlySpan<char> text) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;

    public static double ParseDouble(ReadOnlySpan<char> text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxChars"/> without splitting a surrogate pair.</summary>
    public static string Truncate(string text, int maxChars)
    {
        if (text.Length <= maxChars)
        {
            return text;
        }

        var cut = maxChars;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return text[..cut];
    }
}

/// <summary>Whitespace-separated fields of one line, without allocating.</summary>
internal ref struct FieldReader(ReadOnlySpan<char> line)
{
    private ReadOnlySpan<char> _rest = line;

    public bool TryNext(out ReadOnlySpan<char> field)
    {
        _rest = _rest.TrimStart();
        if (_rest.IsEmpty)
        {
            field = default;
            return false;
        }

        var end = _rest.IndexOfAny(' ', '\t');
        if (end < 0)
        {
            end = _rest.Length;
        }

        field = _rest[..end];
        _rest = _rest[end..];
        return true;
    }

    /// <summary>The next field as an unsigned number; 0 when missing (older kernels have fewer columns).</summary>
    public ulong NextUInt64() => TryNext(out var field) ? ProcFile.ParseUInt64(field) : 0;

    public void Skip(int count)
    {
        for (var i = 0; i < count && TryNext(out _); i++)
        {
        }
    }
}

/// <summary>Counter arithmetic shared by the rate-computing collectors.</summary>
internal static class Counter
{
    /// <summary>current − previous, or 0 when the counter went backwards (wrap, device reset, re-plug).</summary>
    public static ulong Delta(ulong previous, ulong current) => current >= previous ? current - previous : 0;

    /// <summary>Per-second rate of a counter over <paramref name="elapsedSeconds"/>; 0 without a window.</summary>
    public static double Rate(ulong previous, ulong current, double elapsedSeconds) =>
        elapsedSeconds > 0 ? Delta(previous, current) / elapsedSeconds : 0;
}
