using System.Text;
using SysMon.Agent.Collectors;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Tests.Collectors;

public class ContainerCollectorTests
{
    // Ids of the fixture containers (see Fixtures/README.md).
    private const string Web = "eff62ee8a4c5311252b85c7d97166719bf610234683191adb62e138aaea643bc";
    private const string HostNetwork = "234e8635a74ae8a266ce0ae8b078d19b8c4f7e60820c3bf3141c2fb836501602";
    private const string Kubernetes = "2b02e6f88ec935421dbb3e839b13153aee2712d4a834efa5f5165089c88cd5b5";
    private const string Podman = "cea7fb59185c8184e92160397912d72b721347911a4b342bc58aa6962d9b3727";
    private const string Broken = "d6108bf4f13f68cdeaf3dc3e221ddd4532fdc8519b2a790ad5f15a87f3ecbd2e";
    private const string HugeName = "7a9f4463a501fd8f0f4401f8e50c006875f1d5a289e7d04d765cde79c27c10d3";
    private const string Vanished = "90d3734595387371ac4cf1c142ab838e222cbf1e9b5db5a832de64fe5ec19f3d";
    private const string Started = "44716a00d1531bd1e4fdab80edb885fa30c75f126764fa9aa1d6438025fc690e";
    private const string V1Docker = "463b4680ce24b58baa3b0bc7711a7d325e1f561414141a1892664c9970f44e01";
    private const string V1Systemd = "b3ceaa0eddb7b49467b316f38baec7da66b8b34b1eca351cbc5f664f7346adac";
    private const ulong MiB = 1024 * 1024;

    [Fact]
    public void V2ReportsExactCpuMemoryNetworkAndPidsOfADockerContainer()
    {
        var web = Single(CollectT0ThenT1("containers-v2"), Web);

        Assert.Equal("eff62ee8a4c5", web.Id);
        Assert.Equal("web-1", web.Name);
        Assert.Equal("docker", web.Runtime);
        // usage_usec 1 000 000 → 2 500 000: 1.5 s of CPU in 2 s.
        Assert.Equal(75, web.CpuPercent, 9);
        // memory.current 100 MiB less inactive_file 20 MiB.
        Assert.Equal(80 * MiB, web.MemoryUsedBytes);
        Assert.Equal(512 * MiB, web.MemoryLimitBytes);
        // eth0 +2 000 000 and eth1 +200 000 received, eth0 +1 000 000 sent; lo's jump is ignored.
        Assert.Equal(1_100_000, web.RxBytesPerSecond, 9);
        Assert.Equal(500_000, web.TxBytesPerSecond, 9);
        Assert.Equal(7U, web.ProcessCount);
    }

    [Fact]
    public void CpuIsAPercentageOfOneCoreAndMemoryWithoutALimitReportsZero()
    {
        var busy = Single(CollectT0ThenT1("containers-v2"), HostNetwork);

        // 4 s of CPU in 2 s: two cores' worth.
        Assert.Equal(200, busy.CpuPercent, 9);
        Assert.Equal(0UL, busy.MemoryLimitBytes);
        // inactive_file above memory.current (read at different moments) saturates instead of wrapping.
        Assert.Equal(0UL, busy.MemoryUsedBytes);
    }

    [Fact]
    public void AContainerOnTheHostNetworkOrInAnUnknownNamespaceReportsNoTraffic()
    {
        var sample = CollectT0ThenT1("containers-v2");

        var onHost = Single(sample, HostNetwork);
        Assert.Equal(0, onHost.RxBytesPerSecond);
        Assert.Equal(0, onHost.TxBytesPerSecond);
        // Podman's pid has no readable ns/net: not knowing, it reports none rather than guessing.
        var unknown = Single(sample, Podman);
        Assert.Equal(0, unknown.RxBytesPerSecond);
        Assert.Equal(0, unknown.TxBytesPerSecond);
    }

    [Fact]
    public void AKubernetesContainerdContainerCountsCgroupProcsWithoutAPidsController()
    {
        var pod = Single(CollectT0ThenT1("containers-v2"), Kubernetes);

        Assert.Equal("containerd", pod.Runtime);
        Assert.Equal("2b02e6f88ec9", pod.Name);
        Assert.Equal(5, pod.CpuPercent, 9);
        Assert.Equal(9 * MiB, pod.MemoryUsedBytes);
        Assert.Equal(256 * MiB, pod.MemoryLimitBytes);
        Assert.Equal(10_000, pod.RxBytesPerSecond, 9);
        Assert.Equal(20_000, pod.TxBytesPerSecond, 9);
        Assert.Equal(3U, pod.ProcessCount);
    }

    [Fact]
    public void APodmanContainerIsNamedFromContainersJson()
    {
        var db = Single(CollectT0ThenT1("containers-v2"), Podman);

        Assert.Equal("db", db.Name);
        Assert.Equal("podman", db.Runtime);
        Assert.Equal(10, db.CpuPercent, 9);
        // No inactive_file line: all of memory.current counts.
        Assert.Equal(200 * MiB, db.MemoryUsedBytes);
        Assert.Equal(2U, db.ProcessCount);
    }

    [Fact]
    public void HostileDockerConfigsFallBackToTheShortIdOrAreCut()
    {
        var sample = CollectT0ThenT1("containers-v2");

        // A name with control characters, and a malformed document, are not used.
        Assert.Equal("234e8635a74a", Single(sample, HostNetwork).Name);
        var broken = Single(sample, Broken);
        Assert.Equal("d6108bf4f13f", broken.Name);
        Assert.Equal("docker", broken.Runtime);
        // A 5000-character name is cut.
        Assert.Equal(new string('x', ContainerNames.MaxNameChars), Single(sample, HugeName).Name);
    }

    [Fact]
    public void AVanishedContainerIsDroppedAndANewOneOnlyPrimes()
    {
        var sample = CollectT0ThenT1("containers-v2");

        Assert.DoesNotContain(sample.Containers, c => c.Id == Vanished[..12]);
        Assert.DoesNotContain(sample.Containers, c => c.Id == Started[..12]);
        // Sorted by name; conmon, sshd and the pod slice are not containers.
        Assert.Equal(["234e8635a74a", "2b02e6f88ec9", "d6108bf4f13f", "db", "web-1", new string('x', 64)],
            sample.Containers.Select(c => c.Name));
    }

    [Fact]
    public void V1ReadsCpuacctMemoryAndPidsHierarchies()
    {
        var sample = CollectT0ThenT1("containers-v1");

        var api = Single(sample, V1Docker);
        Assert.Equal("api", api.Name);
        Assert.Equal("docker", api.Runtime);
        // cpuacct.usage +500 000 000 ns in 2 s.
        Assert.Equal(25, api.CpuPercent, 9);
        // usage_in_bytes 300 MiB less total_inactive_file (not inactive_file) 100 MiB.
        Assert.Equal(200 * MiB, api.MemoryUsedBytes);
        // 9223372036854771712 is v1's "unlimited".
        Assert.Equal(0UL, api.MemoryLimitBytes);
        Assert.Equal(12U, api.ProcessCount);
        Assert.Equal(2_000_000, api.RxBytesPerSecond, 9);

        var scope = Single(sample, V1Systemd);
        Assert.Equal("b3ceaa0eddb7", scope.Name);
        Assert.Equal(5, scope.CpuPercent, 9);
        Assert.Equal(15 * MiB, scope.MemoryUsedBytes);
        Assert.Equal(1024 * MiB, scope.MemoryLimitBytes);
        Assert.Equal(2U, scope.ProcessCount);
        Assert.Equal(0, scope.RxBytesPerSecond);
    }

    [Fact]
    public void TheContainerSetIsLookedForAgainOnlyAfterTheRediscoveryInterval()
    {
        var temp = Directory.CreateTempSubdirectory("sysmon-containers-");
        try
        {
            var tree = Path.Combine(AppContext.BaseDirectory, "Fixtures", "containers-v2");
            CopyTree(Path.Combine(tree, "t0"), temp.FullName);
            var paths = new HostPaths(Path.Combine(temp.FullName, "proc"), Path.Combine(temp.FullName, "sys"),
                Path.Combine(temp.FullName, "etc"), Path.Combine(tree, "rootfs"));
            var nowMs = 0L;
            var collector = new ContainerCollector(paths) { ReadNamespace = FixtureNamespace, NowMilliseconds = () => nowMs };
            collector.Collect(new Sample(), new CollectContext(0, 10));
            var scope = $"sys/fs/cgroup/system.slice/docker-{Started}.scope";
            CopyTree(Path.Combine(tree, "t1", scope), Path.Combine(temp.FullName, scope));

            nowMs = 9_000;
            var before = Collect(collector);
            nowMs = 10_000;
            var discovered = Collect(collector);
            nowMs = 11_000;
            var after = Collect(collector);

            Assert.DoesNotContain(before.Containers, c => c.Id == Started[..12]);
            Assert.DoesNotContain(discovered.Containers, c => c.Id == Started[..12]); // primed only
            Assert.Contains(after.Containers, c => c.Id == Started[..12]);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public void NoCgroupFilesystemIsAnEmptyList()
    {
        var collector = new ContainerCollector(Fixtures.Missing);
        var sample = new Sample();

        collector.Collect(new Sample(), new CollectContext(0, 10));
        collector.Collect(sample, new CollectContext(1, 10));

        Assert.Empty(sample.Containers);
    }

    [Theory]
    [InlineData("docker-" + Web + ".scope", "", "docker")]
    [InlineData("cri-containerd-" + Web + ".scope", "kubepods.slice/kubepods-pod1.slice", "containerd")]
    [InlineData("libpod-" + Web + ".scope", "machine.slice", "podman")]
    [InlineData("crio-" + Web + ".scope", "kubepods.slice", "crio")]
    [InlineData(Web, "docker", "docker")]
    [InlineData(Web, "kubepods/burstable/pod0f3e", "")]
    [InlineData("libpod-" + Web, "libpod_parent", "podman")]
    public void TryMatchRecognisesEveryDriversContainerCgroup(string name, string parent, string runtime)
    {
        Assert.True(ContainerCgroups.TryMatch(name, parent, out var id, out var matchedRuntime));
        Assert.Equal(Web, id);
        Assert.Equal(runtime, matchedRuntime);
    }

    [Theory]
    [InlineData("libpod-conmon-" + Web + ".scope")]
    [InlineData("docker-" + "EFF62EE8A4C5311252B85C7D97166719BF610234683191ADB62E138AAEA643BC" + ".scope")]
    [InlineData("docker-eff62ee8a4c5.scope")]
    [InlineData("docker.service")]
    [InlineData("system.slice")]
    [InlineData("session-3.scope")]
    public void TryMatchIgnoresCgroupsThatAreNotContainers(string name)
    {
        Assert.False(ContainerCgroups.TryMatch(name, "system.slice", out _, out _));
    }

    [Fact]
    public void ParseDockerNameReadsTheTopLevelNameOnly()
    {
        var json = """{"Config":{"Labels":{"Name":"label"}},"Name":"/web-1","State":{"Name":"x"}}"""u8;

        Assert.Equal("web-1", ContainerNames.ParseDockerName(json));
    }

    [Theory]
    [InlineData("""{"Name":"/a\u0000b"}""")]
    [InlineData("""{"Name":"/café"}""")]
    [InlineData("""{"Name":"/"}""")]
    [InlineData("""{"Name":42}""")]
    [InlineData("""{"Name":"/web-1",""")]
    [InlineData("""{"Name":"/web-1"} trailing""")]
    [InlineData("""["Name","/web-1"]""")]
    [InlineData("")]
    public void ParseDockerNameRejectsUnusableNamesAndMalformedDocuments(string json)
    {
        Assert.Null(ContainerNames.ParseDockerName(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void ParseDockerNameRejectsInvalidUtf8()
    {
        byte[] json = [.. """{"Name":"/a"""u8, 0xff, 0xfe, .. "\"}"u8];

        Assert.Null(ContainerNames.ParseDockerName(json));
    }

    [Fact]
    public void AConfigLargerThanTheCapIsNotRead()
    {
        var temp = Directory.CreateTempSubdirectory("sysmon-rootfs-");
        try
        {
            var folder = Path.Combine(temp.FullName, "var/lib/docker/containers", Web);
            Directory.CreateDirectory(folder);
            var padding = new string(' ', (int)ContainerNames.MaxDockerConfigBytes);
            File.WriteAllText(Path.Combine(folder, "config.v2.json"), $$"""{"Name":"/big"}{{padding}}""");
            var paths = Fixtures.Missing with { RootFs = temp.FullName };

            Assert.Null(ContainerNames.ReadDockerName(paths, Web));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public void ParseStorageNamesTakesTheFirstNameOfEachContainer()
    {
        var json = $$"""[{"id":"{{Web}}","names":["db","alias"],"metadata":"{\"names\":[\"no\"]}"},{"id":"short","names":["x"]},{"id":"{{Podman}}","names":[]}]""";

        var names = ContainerNames.ParseStorageNames(Encoding.UTF8.GetBytes(json));

        Assert.Equal("db", Assert.Single(names, n => n.Key == Web).Value);
        Assert.Single(names);
    }

    [Fact]
    public void ParseStorageNamesOfAMalformedIndexIsEmpty()
    {
        Assert.Empty(ContainerNames.ParseStorageNames(Encoding.UTF8.GetBytes($$"""[{"id":"{{Web}}","names":["db"]},{""")));
    }

    [Theory]
    [InlineData("max\n", 0UL)]
    [InlineData("536870912\n", 536870912UL)]
    public void ParseV2LimitReadsMaxAsUnlimited(string text, ulong expected)
    {
        Assert.Equal(expected, CgroupFiles.ParseV2Limit(text));
    }

    [Theory]
    [InlineData("9223372036854771712\n", 0UL)]
    [InlineData("9223372036854710272\n", 0UL)]
    [InlineData("1073741824\n", 1073741824UL)]
    public void ParseV1LimitReadsTheHugeValueAsUnlimited(string text, ulong expected)
    {
        Assert.Equal(expected, CgroupFiles.ParseV1Limit(text));
    }

    [Fact]
    public void NetworkNamespacesCompareByLinkAndOtherwiseByInode()
    {
        Assert.True(NetworkNamespaceId.Same(new("net:[1]", 5), new("net:[1]", 6)));
        Assert.False(NetworkNamespaceId.Same(new("net:[1]", 5), new("net:[2]", 5)));
        Assert.True(NetworkNamespaceId.Same(new(null, 5), new("net:[1]", 5)));
        Assert.False(NetworkNamespaceId.Same(new(null, 5), new(null, 6)));
        Assert.Null(NetworkNamespaceId.Same(new("net:[1]", 0), new(null, 7)));
    }

    [Fact]
    public void ThisProcessSharesPidOnesNetworkNamespaceOnThisMachine()
    {
        var self = NetworkNamespaces.Read("/proc/self");
        var init = NetworkNamespaces.Read("/proc/1");

        // Tests run on the host's network (CI and this VM); the inode answers even without ptrace access to pid 1.
        Assert.False(self.IsUnknown);
        Assert.True(NetworkNamespaceId.Same(self, init));
    }

    [Fact]
    public async Task CollectOnThisMachineDoesNotThrowAndGivesSaneValues()
    {
        var sample = await Live.CollectOverWindowAsync(new ContainerCollector(Live.Paths));

        Assert.All(sample.Containers, c =>
        {
            Assert.Equal(12, c.Id.Length);
            Assert.InRange(c.Name.Length, 1, ContainerNames.MaxNameChars);
            Assert.True(c.CpuPercent >= 0 && c.RxBytesPerSecond >= 0 && c.TxBytesPerSecond >= 0);
        });
    }

    private static Sample CollectT0ThenT1(string tree)
    {
        var collector = new ContainerCollector(Tree(tree, "t0")) { ReadNamespace = FixtureNamespace };
        collector.Collect(new Sample(), new CollectContext(0, 10));
        collector.Paths = Tree(tree, "t1");
        var sample = new Sample();
        collector.Collect(sample, new CollectContext(Fixtures.ElapsedSeconds, 10));
        return sample;
    }

    private static Sample Collect(ContainerCollector collector)
    {
        var sample = new Sample();
        collector.Collect(sample, new CollectContext(1, 10));
        return sample;
    }

    private static ContainerSample Single(Sample sample, string fullId) =>
        Assert.Single(sample.Containers, c => c.Id == fullId[..12]);

    private static HostPaths Tree(string name, string time)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        return new HostPaths(Path.Combine(root, time, "proc"), Path.Combine(root, time, "sys"),
            Path.Combine(root, time, "etc"), Path.Combine(root, "rootfs"));
    }

    // The fixtures hold ns/net as a file with the link's target: a checked-in symlink to "net:[…]" would dangle.
    private static NetworkNamespaceId FixtureNamespace(string procPidFolder)
    {
        var path = Path.Join(procPidFolder, "ns/net");
        return new NetworkNamespaceId(File.Exists(path) ? File.ReadAllText(path).Trim() : null, 0);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
