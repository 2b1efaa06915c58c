using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class SensorsCollectorTests
{
    private static readonly HostPaths s_desktop = Fixtures.Tree("sensors-desktop");
    private static readonly HostPaths s_thermalOnly = Fixtures.Tree("sensors-thermal");
    private static readonly HostPaths s_empty = Fixtures.Tree("sensors-empty");

    private static Sample Collect(HostPaths paths, TimeProvider? time = null)
    {
        var sample = new Sample();
        new SensorsCollector(paths, time).Collect(sample, new CollectContext(0, 10));
        return sample;
    }

    [Fact]
    public void ADesktopReportsEveryReadableTemperatureInAStableOrder()
    {
        var sample = Collect(s_desktop);

        Assert.Equal(
            [
                "acpitz temp1",
                "coretemp Package id 0", "coretemp Core 0", "coretemp Core 1", "coretemp Core 8",
                "nct6775 SYSTIN",
                "nvme Composite", "nvme Sensor 1", "nvme Composite #2",
                "x86_pkg_temp",
            ],
            sample.Temperatures.Select(t => t.Name));
    }

    [Fact]
    public void TemperaturesAreMillidegreesReadAsCelsiusWithTheirThresholds()
    {
        var temperatures = Collect(s_desktop).Temperatures.ToDictionary(t => t.Name);

        var package = temperatures["coretemp Package id 0"];
        Assert.Equal(45.0, package.Celsius);
        Assert.Equal(80.0, package.HighCelsius);
        Assert.Equal(100.0, package.CriticalCelsius);
        var composite = temperatures["nvme Composite"];
        Assert.Equal(38.85, composite.Celsius, 9);
        Assert.Equal(81.85, composite.HighCelsius, 9);
        Assert.Equal(84.85, composite.CriticalCelsius, 9);
        Assert.Equal(33.85, temperatures["nvme Composite #2"].Celsius, 9);
        var acpitz = temperatures["acpitz temp1"];
        Assert.Equal(27.8, acpitz.Celsius, 9);
        Assert.Equal(0, acpitz.HighCelsius);
        Assert.Equal(119.0, acpitz.CriticalCelsius);
        Assert.Equal(35.0, temperatures["nct6775 SYSTIN"].Celsius);
    }

    [Fact]
    public void AnNvmeThresholdOf65261DegreesReadsAsUnknown()
    {
        var sensor1 = Assert.Single(Collect(s_desktop).Temperatures, t => t.Name == "nvme Sensor 1");

        Assert.Equal(41.85, sensor1.Celsius, 9);
        Assert.Equal(0, sensor1.HighCelsius);
    }

    [Fact]
    public void ASensorThatCannotBeReadIsLeftOutAlone()
    {
        var collector = new SensorsCollector(s_desktop);
        var sample = new Sample();

        collector.Collect(sample, new CollectContext(0, 10));

        // nvme "Sensor 2" is listed (discovered) but its value does not read; the rest of the chip still reports.
        Assert.Contains(collector.Layout.Temperatures, t => t.Name == "nvme Sensor 2");
        Assert.DoesNotContain(sample.Temperatures, t => t.Name == "nvme Sensor 2");
        Assert.Contains(sample.Temperatures, t => t.Name == "nvme Sensor 1");
    }

    [Fact]
    public void FansAreReadFromHwmonAndFromTheOldDeviceDirectory()
    {
        var fans = Collect(s_desktop).Fans;

        Assert.Equal(["dell_smm Processor Fan", "nct6775 fan1", "nct6775 fan2"], fans.Select(f => f.Name));
        Assert.Equal([2400.0, 0.0, 1250.0], fans.Select(f => f.Rpm));
    }

    [Fact]
    public void AThermalZoneWithAnHwmonTwinIsNotReportedTwice()
    {
        var temperatures = Collect(s_desktop).Temperatures;

        // thermal_zone0 (acpitz) is hwmon0; thermal_zone1 (x86_pkg_temp) has no hwmon twin.
        Assert.Single(temperatures, t => t.Name.StartsWith("acpitz", StringComparison.Ordinal));
        var package = Assert.Single(temperatures, t => t.Name == "x86_pkg_temp");
        Assert.Equal(46.0, package.Celsius);
        Assert.Equal(0, package.HighCelsius);
        Assert.Equal(0, package.CriticalCelsius);
    }

    [Fact]
    public void AHostWithOnlyThermalZonesReportsThemByType()
    {
        var sample = Collect(s_thermalOnly);

        Assert.Equal(["cpu-thermal", "gpu-thermal", "gpu-thermal #2"], sample.Temperatures.Select(t => t.Name));
        var cpu = sample.Temperatures[0];
        Assert.Equal(52.615, cpu.Celsius, 9);
        Assert.Equal(70.0, cpu.HighCelsius);
        Assert.Equal(90.0, cpu.CriticalCelsius);
        Assert.Equal(-5.0, sample.Temperatures[1].Celsius);
        Assert.Equal(51.0, sample.Temperatures[2].Celsius);
        Assert.Empty(sample.Fans);
    }

    [Theory]
    [InlineData("sensors-empty")]
    [InlineData("does-not-exist")]
    public void AHostWithoutSensorsReportsEmptyLists(string tree)
    {
        var sample = Collect(Fixtures.Tree(tree));

        Assert.Empty(sample.Temperatures);
        Assert.Empty(sample.Fans);
    }

    [Fact]
    public void SensorsAreDiscoveredOnceAndAgainAfterTheRediscoverInterval()
    {
        using var copy = new TempTree(s_desktop.SysRoot);
        var time = new ManualTime();
        var collector = new SensorsCollector(copy.Paths, time);
        collector.Collect(new Sample(), new CollectContext(0, 10));
        var newChip = Path.Combine(copy.Paths.SysRoot, "class/hwmon/hwmon7");
        Directory.CreateDirectory(newChip);
        File.WriteAllText(Path.Combine(newChip, "name"), "k10temp\n");
        File.WriteAllText(Path.Combine(newChip, "temp1_input"), "50125\n");
        File.WriteAllText(Path.Combine(copy.Paths.SysRoot, "class/hwmon/hwmon2/temp1_input"), "61000\n");

        time.Advance(SensorsCollector.RediscoverInterval - TimeSpan.FromSeconds(1));
        var before = new Sample();
        collector.Collect(before, new CollectContext(1, 10));
        time.Advance(TimeSpan.FromSeconds(1));
        var after = new Sample();
        collector.Collect(after, new CollectContext(1, 10));

        // Values are read every sample; the file list only when the interval is up.
        Assert.Equal(61.0, Assert.Single(before.Temperatures, t => t.Name == "coretemp Package id 0").Celsius);
        Assert.DoesNotContain(before.Temperatures, t => t.Name.StartsWith("k10temp", StringComparison.Ordinal));
        Assert.Equal(50.125, Assert.Single(after.Temperatures, t => t.Name == "k10temp temp1").Celsius, 9);
    }

    [Fact]
    public void ASensorThatVanishesBetweenDiscoveriesIsLeftOutWithoutFailing()
    {
        using var copy = new TempTree(s_desktop.SysRoot);
        var collector = new SensorsCollector(copy.Paths, new ManualTime());
        collector.Collect(new Sample(), new CollectContext(0, 10));
        Directory.Delete(Path.Combine(copy.Paths.SysRoot, "class/hwmon/hwmon4"), recursive: true);

        var sample = new Sample();
        collector.Collect(sample, new CollectContext(1, 10));

        Assert.DoesNotContain(sample.Temperatures, t => t.Name == "nvme Composite #2");
        Assert.Contains(sample.Temperatures, t => t.Name == "nvme Composite");
    }

    [Theory]
    [InlineData("temp3_input", "temp", "_input", true, 3)]
    [InlineData("temp10_input", "temp", "_input", true, 10)]
    [InlineData("fan2_input", "fan", "_input", true, 2)]
    [InlineData("temp3_max", "temp", "_input", false, 0)]
    [InlineData("temp_input", "temp", "_input", false, 0)]
    [InlineData("tempx_input", "temp", "_input", false, 0)]
    [InlineData("in0_input", "temp", "_input", false, 0)]
    [InlineData("trip_point_2_type", "trip_point_", "_type", true, 2)]
    public void TryParseAttributeReadsOnlyNumberedAttributes(string file, string prefix, string suffix, bool expected, int number)
    {
        Assert.Equal(expected, SensorsCollector.TryParseAttribute(file, prefix, suffix, out var parsed));
        Assert.Equal(number, parsed);
    }

    [Theory]
    [InlineData("45000\n", true, 45000)]
    [InlineData("-5000\n", true, -5000)]
    [InlineData(" 7 ", true, 7)]
    [InlineData("", false, 0)]
    [InlineData("N/A\n", false, 0)]
    public void TryParseIntegerReadsSysfsValues(string text, bool expected, long value)
    {
        Assert.Equal(expected, SensorsCollector.TryParseInteger(text, out var parsed));
        Assert.Equal(value, parsed);
    }

    [Fact]
    public void ZonesAreMatchedToHwmonChipsWithDashesReadAsUnderscores()
    {
        var chips = new HashSet<string>(StringComparer.Ordinal) { "acpitz", "cpu_thermal" };

        Assert.True(SensorsCollector.IsCoveredByHwmon("acpitz", chips));
        Assert.True(SensorsCollector.IsCoveredByHwmon("cpu-thermal", chips));
        Assert.False(SensorsCollector.IsCoveredByHwmon("x86_pkg_temp", chips));
    }

    [Fact]
    public void SensorNamesUseTheLabelOrTheInputAndAreCapped()
    {
        Assert.Equal("coretemp Core 0", SensorsCollector.SensorName("coretemp", "Core 0", "temp2"));
        Assert.Equal("acpitz temp1", SensorsCollector.SensorName("acpitz", null, "temp1"));
        Assert.Equal("acpitz temp1", SensorsCollector.SensorName("acpitz", " ", "temp1"));
        Assert.Equal(SensorsCollector.MaxNameChars, SensorsCollector.SensorName("chip", new string('x', 500), "temp1").Length);
    }

    [Fact]
    public void RepeatedNamesGetANumberAndStayWithinTheCap()
    {
        var longName = new string('n', SensorsCollector.MaxNameChars);
        var unique = SensorsCollector.MakeNamesUnique(
            [new("a", []), new("a", []), new(longName, []), new(longName, []), new("a", [])]);

        Assert.Equal(["a", "a #2", longName, longName[..^3] + " #2", "a #3"], unique.Select(s => s.Name));
    }

    [Fact]
    public void TripPointsGiveTheLowestHotAndCriticalTemperatures()
    {
        var (high, critical) = SensorsCollector.ThresholdsFromTripPoints(
            [("passive", 60000), ("hot", 80000), ("critical", 95000), ("hot", 70000), ("active", 50000), ("critical", 0)]);

        Assert.Equal(70.0, high);
        Assert.Equal(95.0, critical);
        Assert.Equal((0.0, 0.0), SensorsCollector.ThresholdsFromTripPoints([]));
    }

    [Fact]
    public void CollectOnThisMachineDoesNotThrow()
    {
        var collector = new SensorsCollector(Live.Paths);
        var sample = new Sample();

        collector.Collect(sample, new CollectContext(0, 10));
        collector.Collect(sample, new CollectContext(1, 10));

        Assert.All(sample.Temperatures, t => Assert.InRange(t.Name.Length, 1, SensorsCollector.MaxNameChars));
        Assert.All(sample.Fans, f => Assert.True(f.Rpm >= 0));
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>A writable copy of a fixture's sys tree, deleted afterwards.</summary>
    private sealed class TempTree : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "sysmon-sensors-" + Guid.NewGuid().ToString("N"));

        public TempTree(string sysRoot)
        {
            Copy(sysRoot, Path.Combine(_root, "sys"));
            Paths = new HostPaths(Path.Combine(_root, "proc"), Path.Combine(_root, "sys"), Path.Combine(_root, "etc"));
        }

        public HostPaths Paths { get; }

        public void Dispose() => Directory.Delete(_root, recursive: true);

        private static void Copy(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }

            foreach (var dir in Directory.GetDirectories(from))
            {
                Copy(dir, Path.Combine(to, Path.GetFileName(dir)));
            }
        }
    }
}
