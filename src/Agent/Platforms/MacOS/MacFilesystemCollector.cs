using System.Runtime.Versioning;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Platforms.MacOS;

/// <summary>Size and usage of local filesystems from getfsstat(MNT_NOWAIT); which ones: <see cref="MacMetrics.IsReportedFilesystem"/>.</summary>
[SupportedOSPlatform("macos")]
internal sealed class MacFilesystemCollector : IMetricCollector
{
    private byte[] _buffer = new byte[32 * MacStructs.StatfsSize];

    /// <inheritdoc />
    public string Name => "filesystems";

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        var count = MacNative.ReadMounts(ref _buffer);
        for (var i = 0; i < count; i++)
        {
            var fs = MacStructs.ParseStatfs(_buffer.AsSpan(i * MacStructs.StatfsSize, MacStructs.StatfsSize));
            if (!MacMetrics.IsReportedFilesystem(fs) || fs.TotalBytes == 0)
            {
                continue;
            }

            var total = fs.TotalBytes;
            var available = Math.Min(fs.AvailableBytes, total);
            sample.Filesystems.Add(new FilesystemSample
            {
                MountPoint = fs.MountPoint,
                Device = fs.Device,
                FsType = fs.FsType,
                TotalBytes = total,
                // As on Linux, used = total − what unprivileged users can still write. On APFS that is the use of
                // every volume in the container, which is what fills the disk.
                UsedBytes = total - available,
                FreeBytes = available,
            });
        }
    }
}
