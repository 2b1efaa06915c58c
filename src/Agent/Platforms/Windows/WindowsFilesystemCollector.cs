using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Size and usage of every fixed logical drive (GetLogicalDriveStringsW, GetDriveTypeW, GetDiskFreeSpaceExW);
/// the filesystem type from GetVolumeInformationW and the device from GetVolumeNameForVolumeMountPointW.
/// </summary>
/// <remarks>
/// Only DRIVE_FIXED drives are read: network shares can block for minutes on a dead server, and removable and
/// optical drives without media raise errors. Volumes mounted in a folder rather than on a letter are not listed.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed unsafe class WindowsFilesystemCollector : IMetricCollector
{
    // 26 letters × "X:\\\0" + the final NUL fits easily; a longer answer only ever means more letters.
    private char[] _driveStrings = new char[128];
    private char[] _knownDriveStrings = [];
    private List<string> _roots = [];

    // A volume's type and name only change when it is reformatted or swapped, so they are read once per drive
    // list and kept until the list changes.
    private readonly Dictionary<string, Volume> _volumes = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public string Name => "filesystems";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        RefreshRoots();
        foreach (var root in _roots)
        {
            if (WindowsNative.GetDriveTypeW(root) != WindowsNative.DriveFixed
                // A drive that fails here (BitLocker-locked, being dismounted) is left out of this sample.
                || !WindowsNative.GetDiskFreeSpaceExW(root, out var freeToCaller, out var total, out _)
                || total == 0)
            {
                continue;
            }

            if (!_volumes.TryGetValue(root, out var volume))
            {
                volume = ReadVolume(root);
                _volumes[root] = volume;
            }

            sample.Filesystems.Add(new FilesystemSample
            {
                MountPoint = root,
                Device = volume.Device,
                FsType = volume.FsType,
                TotalBytes = total,
                // As on Linux: free is what this account can still write (quotas applied), used is the rest.
                UsedBytes = total - Math.Min(freeToCaller, total),
                FreeBytes = freeToCaller,
            });
        }
    }

    private void RefreshRoots()
    {
        uint length;
        fixed (char* buffer = _driveStrings)
        {
            length = WindowsNative.GetLogicalDriveStringsW((uint)_driveStrings.Length, buffer);
        }

        if (length > _driveStrings.Length)
        {
            _driveStrings = new char[length + 1];
            fixed (char* buffer = _driveStrings)
            {
                length = WindowsNative.GetLogicalDriveStringsW((uint)_driveStrings.Length, buffer);
            }
        }

        if (length == 0 || length > _driveStrings.Length)
        {
            throw new IOException("GetLogicalDriveStringsW failed.");
        }

        var text = _driveStrings.AsSpan(0, (int)length);
        if (text.SequenceEqual(_knownDriveStrings))
        {
            return;
        }

        _knownDriveStrings = text.ToArray();
        _roots = WindowsHostFacts.ParseDriveStrings(text);
        _volumes.Clear();
    }

    private static Volume ReadVolume(string root)
    {
        const int Chars = 64;
        var fsName = stackalloc char[Chars];
        var fsType = WindowsNative.GetVolumeInformationW(root, null, 0, out _, out _, out _, fsName, Chars)
            ? new string(fsName)
            : string.Empty;

        // "\\?\Volume{GUID}\": the name that survives a change of drive letter, like /dev/disk/by-uuid.
        const int VolumeChars = 64;
        var volumeName = stackalloc char[VolumeChars];
        var device = WindowsNative.GetVolumeNameForVolumeMountPointW(root, volumeName, VolumeChars)
            ? new string(volumeName)
            : root;
        return new Volume(device, fsType);
    }

    private readonly record struct Volume(string Device, string FsType);
}
