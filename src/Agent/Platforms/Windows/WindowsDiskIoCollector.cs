using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Throughput and busy time of every physical disk: IOCTL_DISK_PERFORMANCE on \\.\PhysicalDriveN deltas.
/// </summary>
/// <remarks>
/// The handles are opened with no access rights (the IOCTL needs none), so an unprivileged agent can read them,
/// and kept open between samples. Disks that appear later are found by a rescan every <see cref="RescanInterval"/>;
/// a disk whose IOCTL fails (unplugged) is dropped. With the disk performance counters switched off
/// (<c>diskperf -n</c>) the IOCTL fails and no disk is reported.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WindowsDiskIoCollector : IMetricCollector
{
    internal static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(30);

    // Disk numbers can have gaps (a removed disk keeps its number until reboot), so the scan does not stop at
    // the first missing one.
    private const int MaxDiskNumber = 64;

    private readonly List<Disk> _disks = [];
    private readonly byte[] _buffer = new byte[WindowsDiskPerformance.Size];
    private long _scannedAt;

    /// <inheritdoc />
    public string Name => "disks";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        if (_scannedAt == 0 || Stopwatch.GetElapsedTime(_scannedAt) >= RescanInterval)
        {
            Rescan();
        }

        for (var i = 0; i < _disks.Count; i++)
        {
            var disk = _disks[i];
            if (Read(disk.Handle) is not { } now)
            {
                disk.Handle.Dispose();
                _disks.RemoveAt(i--);
                continue;
            }

            if (context.ElapsedSeconds > 0 && disk.Previous is { } before)
            {
                sample.Disks.Add(WindowsDiskPerformance.ComputeRates(disk.Name, before, now, context.ElapsedSeconds));
            }

            disk.Previous = now;
        }
    }

    private DiskPerformance? Read(SafeFileHandle handle)
    {
        bool ok;
        uint returned;
        fixed (byte* buffer = _buffer)
        {
            ok = WindowsNative.DeviceIoControl(
                handle, WindowsNative.IoctlDiskPerformance, null, 0, buffer, (uint)_buffer.Length, out returned, 0);
        }

        return ok ? WindowsDiskPerformance.Parse(_buffer.AsSpan(0, (int)Math.Min(returned, (uint)_buffer.Length))) : null;
    }

    private void Rescan()
    {
        _scannedAt = Stopwatch.GetTimestamp();
        for (var number = 0; number < MaxDiskNumber; number++)
        {
            if (_disks.Exists(d => d.Number == number))
            {
                continue;
            }

            var handle = WindowsNative.CreateFileW(
                string.Create(CultureInfo.InvariantCulture, $@"\\.\PhysicalDrive{number}"),
                0, WindowsNative.FileShareRead | WindowsNative.FileShareWrite, 0, WindowsNative.OpenExisting, 0, 0);
            if (handle.IsInvalid)
            {
                handle.Dispose();
                continue;
            }

            _disks.Add(new Disk(number, string.Create(CultureInfo.InvariantCulture, $"PhysicalDrive{number}"), handle));
        }

        _disks.Sort(static (a, b) => a.Number.CompareTo(b.Number));
    }

    /// <summary>One open disk and its previous reading (null until primed).</summary>
    private sealed class Disk(int number, string name, SafeFileHandle handle)
    {
        public int Number { get; } = number;

        public string Name { get; } = name;

        public SafeFileHandle Handle { get; } = handle;

        public DiskPerformance? Previous { get; set; }
    }
}
