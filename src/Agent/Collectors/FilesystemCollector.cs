using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SysMon.Agent.Native;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Collectors;

/// <summary>One line of /proc/mounts, with the octal escapes (\040 for space) decoded.</summary>
internal readonly record struct MountEntry(string Device, string MountPoint, string FsType);

/// <summary>Size and usage of every real mounted filesystem (statvfs of the mounts in /proc/mounts).</summary>
internal sealed class FilesystemCollector(HostPaths paths, ILogger<FilesystemCollector>? logger = null) : IMetricCollector
{
    /// <summary>How long one statvfs may take before its mount is skipped for this sample.</summary>
    internal static readonly TimeSpan StatTimeout = TimeSpan.FromMilliseconds(500);

    // node_exporter's default --collector.filesystem.fs-types-exclude, plus tmpfs and friends: memory-backed
    // or kernel-internal filesystems say nothing about disks. overlay stays: it is a container's root.
    private static readonly HashSet<string> s_excludedTypes = new(StringComparer.Ordinal)
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
        "efivarfs", "fusectl", "fuse.lxcfs", "fuse.portal", "hugetlbfs", "iso9660", "mqueue", "nsfs", "proc",
        "procfs", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "erofs", "sysfs",
        "tmpfs", "tracefs", "rootfs",
    };

    // node_exporter's default --collector.filesystem.mount-points-exclude, as prefixes.
    private static readonly string[] s_excludedMountPrefixes =
        ["/dev/", "/proc/", "/sys/", "/run/credentials/", "/var/lib/docker/", "/var/lib/containers/storage/"];

    private static readonly string[] s_excludedMounts = ["/dev", "/proc", "/sys"];

    // Network filesystems, whose statvfs waits on a server that may be gone. fuse.* is added by prefix.
    private static readonly HashSet<string> s_remoteTypes = new(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "afs", "davfs", "lustre", "gpfs", "ncpfs",
    };

    // statvfs calls that did not return in time, by mount point. While one is outstanding the mount is skipped
    // instead of piling up a blocked thread per sample (a dead NFS server blocks statvfs for minutes).
    private readonly Dictionary<string, Task<FilesystemUsage?>> _stuck = new(StringComparer.Ordinal);
    private readonly ILogger _logger = logger ?? NullLogger<FilesystemCollector>.Instance;

    internal HostPaths Paths { get; set; } = paths;

    /// <inheritdoc />
    public string Name => "filesystems";

    private readonly ProcReader _reader = new();
    private string? _mountsText;
    private List<MountEntry> _reported = [];

    /// <inheritdoc />
    public void Collect(Sample sample, in CollectContext context)
    {
        ReadOnlySpan<char> text;
        if (Paths.HostMountedIn)
        {
            // The agent's own mount table is its container's; the host's is its init's. Mount points are then
            // the host's paths and are statted under the host root.
            text = _reader.ReadText(Paths.HostNamespaceProc("mounts"));
        }
        else if (!_reader.TryReadText(Paths.Proc("mounts"), out text))
        {
            text = _reader.ReadText(Paths.Proc("self/mounts"));
        }

        // The mount table rarely changes: parse it (strings for every line, most of this collector's allocation)
        // only when its text differs from the last sample's.
        if (_mountsText is null || !text.SequenceEqual(_mountsText))
        {
            _mountsText = text.ToString();
            _reported = SelectReported(ParseMounts(text));
        }

        foreach (var mount in _reported)
        {
            if (TryStat(mount) is not { TotalBytes: > 0 } usage)
            {
                continue;
            }

            sample.Filesystems.Add(new FilesystemSample
            {
                MountPoint = mount.MountPoint,
                Device = mount.Device,
                FsType = mount.FsType,
                TotalBytes = usage.TotalBytes,
                // The contract defines used as total − free, where free is what unprivileged users can still
                // write, so used includes root's reserved blocks (df's Used does not).
                UsedBytes = usage.TotalBytes - Math.Min(usage.AvailableBytes, usage.TotalBytes),
                FreeBytes = usage.AvailableBytes,
            });
        }
    }

    /// <summary>Parses /proc/mounts lines ("/dev/vda1 / ext4 rw,relatime 0 0").</summary>
    public static List<MountEntry> ParseMounts(ReadOnlySpan<char> text)
    {
        var result = new List<MountEntry>();
        foreach (var line in text.EnumerateLines())
        {
            var fields = new FieldReader(line);
            if (fields.TryNext(out var device) && fields.TryNext(out var mountPoint) && fields.TryNext(out var fsType))
            {
                result.Add(new MountEntry(Unescape(device), Unescape(mountPoint), fsType.ToString()));
            }
        }

        return result;
    }

    /// <summary>Drops pseudo filesystems and system mount points, and keeps the first mount of each device
    /// (bind mounts would otherwise count one disk several times).</summary>
    public static List<MountEntry> SelectReported(List<MountEntry> mounts)
    {
        var seenDevices = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<MountEntry>();
        foreach (var mount in mounts)
        {
            if (IsReportedMount(mount) && seenDevices.Add(mount.Device))
            {
                result.Add(mount);
            }
        }

        return result;
    }

    internal static bool IsReportedMount(in MountEntry mount)
    {
        if (s_excludedTypes.Contains(mount.FsType) || !mount.MountPoint.StartsWith('/'))
        {
            return false;
        }

        foreach (var excluded in s_excludedMounts)
        {
            if (mount.MountPoint == excluded)
            {
                return false;
            }
        }

        foreach (var prefix in s_excludedMountPrefixes)
        {
            if (mount.MountPoint.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Decodes the kernel's octal escapes in /proc/mounts (space, tab, newline, backslash).</summary>
    internal static string Unescape(ReadOnlySpan<char> field)
    {
        if (field.IndexOf('\\') < 0)
        {
            return field.ToString();
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }

    /// <summary>
    /// Where the agent stats a host mount point: the point itself on the host, the point under the host root when
    /// the host is mounted in (which sees the host's later mounts only with rslave propagation).
    /// </summary>
    internal static string StatPath(HostPaths paths, string mountPoint) => paths.Root(mountPoint);

    /// <summary>Whether statvfs of this filesystem type can block on a remote server.</summary>
    internal static bool IsRemote(string fsType) =>
        s_remoteTypes.Contains(fsType) || fsType.StartsWith("fuse", StringComparison.Ordinal);

    private FilesystemUsage? TryStat(in MountEntry mount)
    {
        // Local filesystems answer statvfs from memory; calling them directly keeps the sample cheap and
        // independent of a busy thread pool.
        var statPath = StatPath(Paths, mount.MountPoint);
        if (!IsRemote(mount.FsType))
        {
            return LibC.TryStatVfs(statPath);
        }

        var mountPoint = mount.MountPoint;
        if (_stuck.TryGetValue(mountPoint, out var pending))
        {
            if (!pending.IsCompleted)
            {
                return null;
            }

            _stuck.Remove(mountPoint);
            _logger.LogInformation("statvfs of {MountPoint} returned again.", mountPoint);
        }

        // A dedicated thread, not the pool: a dead server then costs one parked thread, never pool starvation,
        // and a starved pool cannot make a healthy mount look hung.
        var completion = new TaskCompletionSource<FilesystemUsage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => completion.TrySetResult(LibC.TryStatVfs(statPath)))
        {
            IsBackground = true,
            Name = "sysmon statvfs",
        };
        thread.Start();
        if (completion.Task.Wait(StatTimeout))
        {
            return completion.Task.Result;
        }

        _stuck[mountPoint] = completion.Task;
        _logger.LogWarning("statvfs of {MountPoint} did not return within {Timeout}; skipping it until it does.",
            mountPoint, StatTimeout);
        return null;
    }
}
