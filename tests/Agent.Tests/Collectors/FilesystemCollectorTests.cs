using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class FilesystemCollectorTests
{
    [Fact]
    public void SelectReportedKeepsRealFilesystemsOfTheCapturedMounts()
    {
        var mounts = FilesystemCollector.ParseMounts(Fixtures.Read(Fixtures.T0, "mounts"));

        var reported = FilesystemCollector.SelectReported(mounts);

        // proc, sysfs, devtmpfs, tmpfs, devpts and the cgroup mounts are all pseudo filesystems.
        var root = Assert.Single(reported);
        Assert.Equal(new MountEntry("/dev/vda", "/", "ext4"), root);
    }

    [Fact]
    public void SelectReportedKeepsOverlayAndDedupesBindMountsByDevice()
    {
        var mounts = FilesystemCollector.ParseMounts(
            """
            overlay / overlay rw,relatime,lowerdir=/a,upperdir=/b,workdir=/c 0 0
            /dev/sda1 /data ext4 rw 0 0
            /dev/sda1 /srv/bound ext4 rw 0 0
            /dev/sdb1 /var/lib/docker/overlay2 xfs rw 0 0
            squashfs /snap/core squashfs ro 0 0
            nsfs /run/netns/x nsfs rw 0 0
            server:/export /mnt/nfs nfs4 rw 0 0
            """);

        var reported = FilesystemCollector.SelectReported(mounts);

        Assert.Equal(["/", "/data", "/mnt/nfs"], reported.Select(m => m.MountPoint));
    }

    [Fact]
    public void ParseMountsDecodesOctalEscapes()
    {
        var mount = Assert.Single(FilesystemCollector.ParseMounts("/dev/sdc1 /media/My\\040Disk\\134x vfat rw 0 0\n"));

        Assert.Equal("/media/My Disk\\x", mount.MountPoint);
    }

    [Theory]
    [InlineData("nfs4", true)]
    [InlineData("cifs", true)]
    [InlineData("fuse.sshfs", true)]
    [InlineData("ext4", false)]
    [InlineData("overlay", false)]
    public void IsRemoteFlagsFilesystemsWhoseStatvfsCanHang(string fsType, bool expected)
    {
        Assert.Equal(expected, FilesystemCollector.IsRemote(fsType));
    }

    [Fact]
    public void CollectOnThisMachineFindsAFilesystemWithASize()
    {
        var sample = new Sample();
        new FilesystemCollector(Live.Paths).Collect(sample, new CollectContext(0, 10));

        Assert.Contains(sample.Filesystems, f => f.TotalBytes > 0);
        Assert.All(sample.Filesystems, f =>
        {
            Assert.Equal(f.TotalBytes, f.UsedBytes + f.FreeBytes);
            Assert.StartsWith("/", f.MountPoint, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void CollectOnThisMachineAgreesWithDriveInfoOnFreeSpace()
    {
        var sample = new Sample();
        new FilesystemCollector(Live.Paths).Collect(sample, new CollectContext(0, 10));

        var root = Assert.Single(sample.Filesystems, f => f.MountPoint == "/");
        var drive = new DriveInfo("/");
        Assert.Equal((ulong)drive.TotalSize, root.TotalBytes);
        // Other processes write meanwhile; allow 64 MiB of drift.
        Assert.InRange((double)root.FreeBytes, drive.AvailableFreeSpace - 64e6, drive.AvailableFreeSpace + 64e6);
    }
}
