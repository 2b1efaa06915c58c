using System.Globalization;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>One temperature input found in sysfs: its reported name, the file read every sample, and its thresholds.</summary>
/// <param name="InputPath">NUL-terminated UTF-8 path of the millidegree (or RPM) value, for <see cref="ProcReader"/>.</param>
/// <param name="HighCelsius">Warning threshold, °C; 0 when the sensor has none.</param>
/// <param name="CriticalCelsius">Critical threshold, °C; 0 when the sensor has none.</param>
internal sealed record SensorInput(string Name, byte[] InputPath, double HighCelsius = 0, double CriticalCelsius = 0);

/// <summary>What one discovery of sysfs found: the temperature and fan inputs to read, in report order.</summary>
internal sealed record SensorLayout(IReadOnlyList<SensorInput> Temperatures, IReadOnlyList<SensorInput> Fans)
{
    public static SensorLayout Empty { get; } = new([], []);
}

/// <summary>
/// Hardware temperatures and fan speeds from hwmon (<c>/sys/class/hwmon</c>) and thermal zones
/// (<c>/sys/class/thermal</c>). A thermal zone whose type names an hwmon chip is left out: see <see cref="IsCoveredByHwmon"/>.
/// </summary>
/// <remarks>
/// Walking sysfs costs hundreds of opendir/open calls on a desktop board, so the list of files is discovered once
/// and again every <see cref="RediscoverInterval"/> (labels and thresholds are read then too: they do not change
/// while a driver is loaded); each sample reads only the value files, with the allocation-free <see cref="ProcReader"/>.
/// A value that cannot be read (sensors answer EIO or ENODATA while their device sleeps) leaves that one sensor
/// out of the sample.
/// </remarks>
internal sealed class SensorsCollector : IMetricCollector
{
    internal const int MaxNameChars = 64;

    /// <summary>How often sysfs is walked again for sensors that appeared or went away (module loaded, disk hot-plugged).</summary>
    public static readonly TimeSpan RediscoverInterval = TimeSpan.FromSeconds(60);

    private readonly ProcReader _reader = new();
    private readonly TimeProvider _time;
    private HostPaths _paths;
    private SensorLayout _layout = SensorLayout.Empty;
    private long _discoveredAt;
    private bool _discovered;

    public SensorsCollector(HostPaths paths, TimeProvider? time = null)
    {
        _paths = paths;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Where sysfs is; setting it discovers the sensors again on the next sample.</summary>
    internal HostPaths Paths
    {
        get => _paths;
        set
        {
            _paths = value;
            _discovered = false;
        }
    }

    /// <summary>The sensors the last discovery found.</summary>
    internal SensorLayout Layout => _layout;

    /// <inheritdoc />
    public string Name => "sensors";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var now = _time.GetTimestamp();
        if (!_discovered || _time.GetElapsedTime(_discoveredAt, now) >= RediscoverInterval)
        {
            _layout = Discover(_paths);
            _discoveredAt = now;
            _discovered = true;
        }

        foreach (var sensor in _layout.Temperatures)
        {
            if (_reader.TryReadText(sensor.InputPath, out var text) && TryParseInteger(text, out var millidegrees))
            {
                sample.Temperatures.Add(new TemperatureSample
                {
                    Name = sensor.Name,
                    Celsius = millidegrees / 1000.0,
                    HighCelsius = sensor.HighCelsius,
                    CriticalCelsius = sensor.CriticalCelsius,
                });
            }
        }

        foreach (var fan in _layout.Fans)
        {
            if (_reader.TryReadText(fan.InputPath, out var text) && TryParseInteger(text, out var rpm))
            {
                sample.Fans.Add(new FanSample { Name = fan.Name, Rpm = rpm });
            }
        }
    }

    /// <summary>
    /// Walks <c>class/hwmon</c> and <c>class/thermal</c> under <paramref name="paths"/>' sysfs. Missing trees give an
    /// empty layout; a chip or zone that cannot be listed is left out on its own.
    /// </summary>
    /// <remarks>
    /// Order: hwmon chips by name, chips of the same name by the device they hang off (its sysfs path is stable across
    /// boots where hwmonN numbers are not), inputs by their number; then thermal zones by number. Names that still
    /// collide (two NVMe drives both say "nvme Composite") get " #2", " #3" in that order.
    /// </remarks>
    public static SensorLayout Discover(HostPaths paths)
    {
        var chips = new List<HwmonChip>();
        foreach (var (dir, number) in NumberedEntries(paths.Sys("class/hwmon"), "hwmon"))
        {
            if (ReadChip(dir, number) is { } chip)
            {
                chips.Add(chip);
            }
        }

        chips.Sort(static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            if (byName != 0)
            {
                return byName;
            }

            var byDevice = string.CompareOrdinal(a.DeviceKey, b.DeviceKey);
            return byDevice != 0 ? byDevice : a.Number.CompareTo(b.Number);
        });

        var temperatures = new List<SensorInput>();
        var fans = new List<SensorInput>();
        var chipNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chip in chips)
        {
            chipNames.Add(chip.Name);
            temperatures.AddRange(chip.Temperatures);
            fans.AddRange(chip.Fans);
        }

        foreach (var (dir, _) in NumberedEntries(paths.Sys("class/thermal"), "thermal_zone"))
        {
            if (ReadThermalZone(dir, chipNames) is { } zone)
            {
                temperatures.Add(zone);
            }
        }

        return new SensorLayout(MakeNamesUnique(temperatures), MakeNamesUnique(fans));
    }

    /// <summary>
    /// True when a thermal zone of type <paramref name="zoneType"/> is already reported through hwmon. The kernel's
    /// thermal-hwmon bridge registers every zone that allows it as an hwmon chip named after the zone's type (with
    /// '-' turned into '_', which hwmon names may not hold): "acpitz" → hwmon "acpitz", "cpu-thermal" → "cpu_thermal".
    /// So a zone is a duplicate exactly when its type, read that way, names an hwmon chip; zones that opt out of
    /// the bridge (x86_pkg_temp, iwlwifi) have no twin and are reported themselves.
    /// </summary>
    public static bool IsCoveredByHwmon(string zoneType, IReadOnlySet<string> hwmonChipNames) =>
        hwmonChipNames.Contains(zoneType.Replace('-', '_'));

    /// <summary>"chip label", or "chip tempN" / "chip fanN" when the input has no label; capped at <see cref="MaxNameChars"/>.</summary>
    public static string SensorName(string chip, string? label, string fallback) =>
        ProcFile.Truncate(chip + " " + (string.IsNullOrWhiteSpace(label) ? fallback : label), MaxNameChars);

    /// <summary>Parses a sysfs integer value ("45000\n", "-5000"); false for anything else.</summary>
    public static bool TryParseInteger(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Splits an hwmon attribute file name of the form <c>{prefix}{N}_{suffix}</c> ("temp3_input") into its number;
    /// false when the name has another shape ("temp3_max", "in0_input", "fan_input").
    /// </summary>
    public static bool TryParseAttribute(string fileName, string prefix, string suffix, out int number)
    {
        number = 0;
        return fileName.Length > prefix.Length + suffix.Length
            && fileName.StartsWith(prefix, StringComparison.Ordinal)
            && fileName.EndsWith(suffix, StringComparison.Ordinal)
            && int.TryParse(
                fileName.AsSpan(prefix.Length, fileName.Length - prefix.Length - suffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    /// <summary>
    /// The warning and critical thresholds of a thermal zone from its trip points: the lowest "hot" and the lowest
    /// "critical" trip, °C; 0 where there is none. "passive" and "active" trips are cooling steps, not alarms.
    /// </summary>
    public static (double HighCelsius, double CriticalCelsius) ThresholdsFromTripPoints(
        IEnumerable<(string Type, long Millidegrees)> tripPoints)
    {
        long? hot = null;
        long? critical = null;
        foreach (var (type, millidegrees) in tripPoints)
        {
            if (millidegrees <= 0)
            {
                continue;
            }

            if (type == "hot")
            {
                hot = Math.Min(hot ?? long.MaxValue, millidegrees);
            }
            else if (type == "critical")
            {
                critical = Math.Min(critical ?? long.MaxValue, millidegrees);
            }
        }

        return ((hot ?? 0) / 1000.0, (critical ?? 0) / 1000.0);
    }

    /// <summary>Gives repeated names " #2", " #3" … in list order, so every reported name is a distinct series.</summary>
    public static List<SensorInput> MakeNamesUnique(List<SensorInput> sensors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < sensors.Count; i++)
        {
            var name = sensors[i].Name;
            var count = seen.TryGetValue(name, out var n) ? n + 1 : 1;
            seen[name] = count;
            if (count > 1)
            {
                var suffix = " #" + count.ToString(CultureInfo.InvariantCulture);
                sensors[i] = sensors[i] with { Name = ProcFile.Truncate(name, MaxNameChars - suffix.Length) + suffix };
            }
        }

        return sensors;
    }

    private sealed record HwmonChip(string Name, string DeviceKey, int Number, List<SensorInput> Temperatures, List<SensorInput> Fans);

    private static HwmonChip? ReadChip(string dir, int number)
    {
        // Drivers on the old hwmon API keep name and attributes on the parent device, reached through "device".
        var deviceDir = Path.Join(dir, "device");
        var name = ReadLine(Path.Join(dir, "name")) ?? ReadLine(Path.Join(deviceDir, "name"));
        name = string.IsNullOrWhiteSpace(name) ? "hwmon" + number.ToString(CultureInfo.InvariantCulture) : name;
        name = ProcFile.Truncate(name, MaxNameChars);

        // An attribute in hwmonN wins over one of the same name under device/.
        var temperatureDirs = new SortedDictionary<int, string>();
        var fanDirs = new SortedDictionary<int, string>();
        foreach (var attributeDir in (ReadOnlySpan<string>)[dir, deviceDir])
        {
            foreach (var file in ListNames(attributeDir))
            {
                if (TryParseAttribute(file, "temp", "_input", out var t))
                {
                    temperatureDirs.TryAdd(t, attributeDir);
                }
                else if (TryParseAttribute(file, "fan", "_input", out var f))
                {
                    fanDirs.TryAdd(f, attributeDir);
                }
            }
        }

        var temperatures = new List<SensorInput>(temperatureDirs.Count);
        foreach (var (index, attributeDir) in temperatureDirs)
        {
            var prefix = Path.Join(attributeDir, "temp" + index.ToString(CultureInfo.InvariantCulture));
            temperatures.Add(new SensorInput(
                SensorName(name, ReadLine(prefix + "_label"), "temp" + index.ToString(CultureInfo.InvariantCulture)),
                ProcReader.NullTerminated(prefix + "_input"),
                ReadMillidegrees(prefix + "_max") / 1000.0,
                ReadMillidegrees(prefix + "_crit") / 1000.0));
        }

        var fans = new List<SensorInput>(fanDirs.Count);
        foreach (var (index, attributeDir) in fanDirs)
        {
            var prefix = Path.Join(attributeDir, "fan" + index.ToString(CultureInfo.InvariantCulture));
            fans.Add(new SensorInput(
                SensorName(name, ReadLine(prefix + "_label"), "fan" + index.ToString(CultureInfo.InvariantCulture)),
                ProcReader.NullTerminated(prefix + "_input")));
        }

        return temperatures.Count + fans.Count == 0 ? null : new HwmonChip(name, DeviceKey(deviceDir), number, temperatures, fans);
    }

    private static SensorInput? ReadThermalZone(string dir, IReadOnlySet<string> hwmonChipNames)
    {
        var type = ReadLine(Path.Join(dir, "type"));
        if (string.IsNullOrWhiteSpace(type) || IsCoveredByHwmon(type, hwmonChipNames))
        {
            return null;
        }

        var trips = new List<(string, long)>();
        foreach (var file in ListNames(dir))
        {
            if (TryParseAttribute(file, "trip_point_", "_type", out var k))
            {
                var prefix = Path.Join(dir, "trip_point_" + k.ToString(CultureInfo.InvariantCulture));
                trips.Add((ReadLine(prefix + "_type") ?? "", ReadMillidegrees(prefix + "_temp")));
            }
        }

        var (high, critical) = ThresholdsFromTripPoints(trips);
        return new SensorInput(ProcFile.Truncate(type, MaxNameChars), ProcReader.NullTerminated(Path.Join(dir, "temp")), high, critical);
    }

    // Entries named {prefix}{N} of a sysfs class directory, by N. In sysfs they are symlinks to the device's directory.
    private static List<(string Path, int Number)> NumberedEntries(string classDir, string prefix)
    {
        var result = new List<(string, int)>();
        foreach (var name in ListNames(classDir))
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                result.Add((Path.Join(classDir, name), number));
            }
        }

        result.Sort(static (a, b) => a.Item2.CompareTo(b.Item2));
        return result;
    }

    // Every entry name, files and directories alike: a value attribute the driver cannot answer still gets listed,
    // and is then simply unreadable each sample.
    private static List<string> ListNames(string dir)
    {
        var names = new List<string>();
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                names.Add(Path.GetFileName(entry));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing or unlistable: nothing there to report.
        }

        return names;
    }

    // The device an hwmon chip belongs to, as a stable sort key: the sysfs path its "device" link points at
    // ("../../../0000:01:00.0/nvme/nvme0"); "" when there is no link.
    private static string DeviceKey(string deviceDir)
    {
        try
        {
            return new FileInfo(deviceDir).LinkTarget ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string? ReadLine(string path) => ProcFile.TryReadAllText(path)?.Trim();

    // A threshold of 1000 °C or more is a driver's "not set": NVMe drives without one report 0xFFFF K (65261.85 °C).
    private static long ReadMillidegrees(string path) =>
        ProcFile.TryReadAllText(path) is { } text && TryParseInteger(text, out var value) && value is > 0 and < 1_000_000
            ? value
            : 0;
}
