using System.Globalization;

namespace SysMon.Agent.Collectors;

/// <summary>uid → user name from &lt;etc&gt;/passwd, cached; re-read when an unknown uid shows up and the file changed.</summary>
internal sealed class UserNames(string passwdPath)
{
    private Dictionary<uint, string> _names = [];
    private DateTime _loadedWriteTimeUtc = DateTime.MinValue;
    private bool _loaded;

    internal string PasswdPath { get; set; } = passwdPath;

    /// <summary>The user name of <paramref name="uid"/>, or the uid as text when passwd does not know it.</summary>
    public string Resolve(uint uid)
    {
        if (!_loaded || (!_names.ContainsKey(uid) && WriteTimeUtc() != _loadedWriteTimeUtc))
        {
            Load();
        }

        if (!_names.TryGetValue(uid, out var name))
        {
            // Cache the miss too, so an unknown uid does not stat passwd every sample.
            name = uid.ToString(CultureInfo.InvariantCulture);
            _names[uid] = name;
        }

        return name;
    }

    /// <summary>Parses passwd lines ("root:x:0:0:root:/root:/bin/bash"); the first entry of a uid wins.</summary>
    public static Dictionary<uint, string> ParsePasswd(string text)
    {
        var result = new Dictionary<uint, string>();
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var fields = line.Split(':');
            if (!fields.MoveNext())
            {
                continue;
            }

            var name = line[fields.Current];
            if (name.IsEmpty || name[0] == '#' || !fields.MoveNext() || !fields.MoveNext())
            {
                continue;
            }

            if (uint.TryParse(line[fields.Current], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                result.TryAdd(uid, ProcFile.Truncate(name.ToString(), 64));
            }
        }

        return result;
    }

    private void Load()
    {
        _loaded = true;
        _loadedWriteTimeUtc = WriteTimeUtc();
        _names = ProcFile.TryReadAllText(PasswdPath) is { } text ? ParsePasswd(text) : [];
    }

    private DateTime WriteTimeUtc()
    {
        try
        {
            return File.GetLastWriteTimeUtc(PasswdPath);
        }
        catch (IOException)
        {
            return DateTime.MinValue;
        }
        catch (UnauthorizedAccessException)
        {
            return DateTime.MinValue;
        }
    }
}
