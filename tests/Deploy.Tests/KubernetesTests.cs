using YamlDotNet.RepresentationModel;
using Xunit;

namespace SysMon.Deploy.Tests;

/// <summary>
/// k8s/ as a cluster would get it: each overlay rendered by `kubectl kustomize` (offline), every object checked
/// against the Kubernetes schemas by k8s/validate/validate.mjs (unknown fields and removed APIs included), then
/// the rendered objects checked for what SysMon needs from them. The validator's own tests feed it objects a
/// cluster would refuse, so a passing check means something.
/// </summary>
public sealed class KubernetesTests
{
    private static string K8sDirectory => Path.Combine(SysMon.TestSupport.RepoPaths.Root, "k8s");

    private static string Validator => Path.Combine(K8sDirectory, "validate", "validate.mjs");

    public static TheoryData<string> Overlays => new() { "overlays/dev", "overlays/prod" };

    // ---------------------------------------------------------------------------------------------------------
    // The schema check

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryObjectOfTheOverlayPassesTheKubernetesSchemas(string overlay)
    {
        var rendered = await RenderAsync(overlay);
        var result = await ValidateAsync(rendered);
        Assert.True(result.ExitCode == 0, $"{overlay} has objects a cluster would refuse:\n{result}");
        Assert.Contains($"{Parse(rendered).Count} objects valid", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheBaseWithoutTheRedisComponentIsValidForAManagedRedis()
    {
        // Dropping k8s/components/redis from an overlay (a managed Redis) leaves a complete, valid installation.
        var rendered = await RenderAsync("base");
        var result = await ValidateAsync(rendered);
        Assert.True(result.ExitCode == 0, $"the base alone has objects a cluster would refuse:\n{result}");
        var objects = Parse(rendered);
        Assert.DoesNotContain(objects, o => Name(o).Contains("redis", StringComparison.Ordinal));
        Assert.Single(objects, o => Kind(o) == "Deployment");
    }

    public static TheoryData<string, string, string> Breakages => new()
    {
        // name of the breakage, what the validator must say about the hub Deployment
        { "replicas-as-text", "/spec/replicas", "must be integer" },
        { "unknown-field", "/spec/replica", "unknown field \"replica\"" },
        { "container-without-name", "/spec/template/spec/containers/0", "required property name" },
        { "selector-not-matching-pods", "/spec/selector", "does not match the pod template's labels" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task TheValidatorRefusesWhatAClusterWouldRefuseAndNamesTheObject(string breakage, string path, string message)
    {
        var objects = Parse(await RenderAsync("overlays/prod"));
        var hub = Single(objects, "Deployment", "sysmon-hub");
        var spec = Map(hub, "spec");
        switch (breakage)
        {
            case "replicas-as-text":
                spec.Children[new YamlScalarNode("replicas")] = new YamlScalarNode("three") { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted };
                break;
            case "unknown-field":
                spec.Children.Remove(new YamlScalarNode("replicas"));
                spec.Children[new YamlScalarNode("replica")] = new YamlScalarNode("3");
                break;
            case "container-without-name":
                Containers(hub)[0].Children.Remove(new YamlScalarNode("name"));
                break;
            case "selector-not-matching-pods":
                Map(Map(spec, "selector"), "matchLabels").Children[new YamlScalarNode("app.kubernetes.io/name")] = new YamlScalarNode("sysmon-hubb");
                break;
        }

        var result = await ValidateAsync(Serialize(objects));

        Assert.NotEqual(0, result.ExitCode);
        // Only the broken object fails, named by kind and name, with the field and the reason.
        var failures = result.Stdout.Split('\n').Where(line => line.StartsWith("FAIL ", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 1 && failures[0].StartsWith("FAIL Deployment/sysmon-hub (sysmon)", StringComparison.Ordinal), result.ToString());
        Assert.Contains($"  {path}: ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(message, result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheValidatorRefusesRemovedApisCustomResourcesAndYamlThatKubernetesReadsAsBooleans()
    {
        const string objects = """
            apiVersion: policy/v1beta1
            kind: PodDisruptionBudget
            metadata: {name: old-api}
            spec: {maxUnavailable: 1}
            ---
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: custom}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: fine}
            data: {flag: "yes"}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: yaml-one-one}
            spec:
              containers:
                - name: c
                  image: busybox
                  env: [{name: FLAG, value: yes}]
            """;
        var result = await ValidateAsync(objects);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL PodDisruptionBudget/old-api", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("no longer served since Kubernetes 1.25", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("FAIL Widget/custom", result.Stdout, StringComparison.Ordinal);
        // The API server reads YAML 1.1: an unquoted yes is a boolean, and an environment value must be a string.
        Assert.Contains("FAIL Pod/yaml-one-one", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("/spec/containers/0/env/0/value: must be string", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ConfigMap/fine", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("3 of 4 objects", result.Stdout, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------------------------------------------------
    // What SysMon needs from the objects

    [Fact]
    public async Task ProdRunsThreeHubsFromPinnedImagesWithTlsForBrowsersAndAgents()
    {
        var objects = Parse(await RenderAsync("overlays/prod"));
        var hub = Single(objects, "Deployment", "sysmon-hub");
        Assert.Equal("3", Text(hub, "spec", "replicas"));
        var autoscaler = Single(objects, "HorizontalPodAutoscaler", "sysmon-hub");
        Assert.Equal("3", Text(autoscaler, "spec", "minReplicas"));

        foreach (var container in objects.Where(IsWorkload).SelectMany(Containers))
        {
            var image = Text(container, "image")!;
            var tag = image[(image.LastIndexOf('/') + 1)..].Split(':', '@').ElementAtOrDefault(1);
            Assert.True(tag is not null && tag is not "latest" and not "dev", $"{image} is not pinned");
        }

        foreach (var ingress in objects.Where(o => Kind(o) == "Ingress"))
        {
            var tls = Sequence(Map(ingress, "spec"), "tls");
            Assert.True(tls.Any(entry => Text(entry, "secretName") is { Length: > 0 }), $"Ingress {Name(ingress)} has no TLS");
        }
        Assert.Equal("GRPCS", Text(Single(objects, "Ingress", "sysmon-hub-grpc"), "metadata", "annotations", "nginx.ingress.kubernetes.io/backend-protocol"));

        var hubSettings = HubSettings(objects);
        Assert.StartsWith("https://", hubSettings["Kestrel__Endpoints__Grpc__Url"], StringComparison.Ordinal);
        var agent = Env(Containers(Single(objects, "DaemonSet", "sysmon-agent"))[0]);
        Assert.StartsWith("https://", agent["Agent__HubUrl"], StringComparison.Ordinal);
        Assert.True(agent.ContainsKey("Agent__CaFile"));
        Assert.False(agent.ContainsKey("Agent__AllowPlaintext"));

        // Redis has a password, which the hubs send; the connection string's password comes from the entry before it.
        var hubEnv = EnvEntries(Containers(hub)[0]);
        var redisPassword = hubEnv.FindIndex(e => Text(e, "name") == "REDIS_PASSWORD");
        var connection = hubEnv.FindIndex(e => Text(e, "name") == "ConnectionStrings__Redis");
        Assert.True(redisPassword >= 0 && redisPassword < connection, "REDIS_PASSWORD must come before ConnectionStrings__Redis");
        Assert.Contains("password=$(REDIS_PASSWORD)", Text(hubEnv[connection], "value"), StringComparison.Ordinal);
        var redis = Containers(Single(objects, "StatefulSet", "sysmon-redis"))[0];
        Assert.Contains("requirepass $REDIS_PASSWORD", Scalars(redis, "args").Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevRunsOneHubWithPlaintextAgentsAndOnlyAPlaceholderToken()
    {
        var objects = Parse(await RenderAsync("overlays/dev"));
        Assert.Equal("1", Text(Single(objects, "Deployment", "sysmon-hub"), "spec", "replicas"));
        Assert.Equal("1", Text(Single(objects, "HorizontalPodAutoscaler", "sysmon-hub"), "spec", "minReplicas"));
        Assert.All(objects.Where(IsWorkload).SelectMany(Containers).Where(c => Text(c, "image")!.StartsWith("sysmon-", StringComparison.Ordinal)),
            c => Assert.EndsWith(":dev", Text(c, "image"), StringComparison.Ordinal));

        var agent = Single(objects, "DaemonSet", "sysmon-agent");
        var env = Env(Containers(agent)[0]);
        Assert.Equal("true", env["Agent__AllowPlaintext"]);
        Assert.StartsWith("http://", env["Agent__HubUrl"], StringComparison.Ordinal);

        // The token Secret the agents mount exists, under the name they mount, and holds the placeholder only.
        var volume = Sequence(Map(agent, "spec", "template", "spec"), "volumes").Single(v => Text(v, "name") == "enrollment");
        var secret = Single(objects, "Secret", Text(volume, "secret", "secretName")!);
        var token = Convert.FromBase64String(Text(secret, "data", "token")!);
        Assert.StartsWith("placeholder", System.Text.Encoding.UTF8.GetString(token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheBaseAndProdShipNoSecretsOnlyReferencesToThem()
    {
        // Secrets are made per cluster (docs/kubernetes.md); one in base or prod would also overwrite the real
        // one at every `kubectl apply -k`.
        foreach (var overlay in new[] { "base", "overlays/prod" })
        {
            var objects = Parse(await RenderAsync(overlay));
            Assert.DoesNotContain(objects, o => Kind(o) == "Secret");
        }
        foreach (var file in Directory.EnumerateFiles(Path.Combine(K8sDirectory, "base"), "*.yaml"))
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.DoesNotContain("kind: Secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secretGenerator", text, StringComparison.Ordinal);
            Assert.DoesNotContain("password=", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task HubsAreReadyOnReadyzAndAliveOnHealthz(string overlay)
    {
        var objects = Parse(await RenderAsync(overlay));
        var hub = Containers(Single(objects, "Deployment", "sysmon-hub"))[0];
        Assert.Equal("/readyz", Text(hub, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", Text(hub, "livenessProbe", "httpGet", "path"));
        Assert.Equal("http", Text(hub, "readinessProbe", "httpGet", "port"));
        Assert.Equal("http", Text(hub, "livenessProbe", "httpGet", "port"));
        var env = Env(hub);
        Assert.Equal("metadata.name", Text(EnvEntries(hub).Single(e => Text(e, "name") == "Hub__InstanceId"), "valueFrom", "fieldRef", "fieldPath"));
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("EmbeddedAgent", StringComparison.Ordinal));
        var settings = HubSettings(objects);
        Assert.Equal("false", settings["EmbeddedAgent__Enabled"]);
        Assert.True(settings.ContainsKey("ConnectionStrings__Redis"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryContainerHasCpuAndMemoryRequestsAndLimits(string overlay)
    {
        var containers = Parse(await RenderAsync(overlay)).Where(IsWorkload).SelectMany(Containers).ToList();
        Assert.NotEmpty(containers);
        foreach (var container in containers)
        {
            foreach (var kind in new[] { "requests", "limits" })
            {
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    Assert.True(Text(container, "resources", kind, resource) is { Length: > 0 }, $"container {Text(container, "name")} has no {kind}.{resource}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheDisruptionBudgetAndTheAutoscalerTargetTheHubDeployment(string overlay)
    {
        var objects = Parse(await RenderAsync(overlay));
        var hub = Single(objects, "Deployment", "sysmon-hub");
        var replicas = int.Parse(Text(hub, "spec", "replicas")!, System.Globalization.CultureInfo.InvariantCulture);

        var budget = Single(objects, "PodDisruptionBudget", "sysmon-hub");
        var selected = objects.Where(IsWorkload).Where(w => Selects(Map(budget, "spec", "selector"), TemplateLabels(w))).ToList();
        Assert.Equal([hub], selected);
        // A drain can always evict one hub.
        Assert.True(Text(budget, "spec", "maxUnavailable") == "1"
            || int.Parse(Text(budget, "spec", "minAvailable")!, System.Globalization.CultureInfo.InvariantCulture) < replicas);

        var autoscaler = Single(objects, "HorizontalPodAutoscaler", "sysmon-hub");
        Assert.Equal("apps/v1", Text(autoscaler, "spec", "scaleTargetRef", "apiVersion"));
        Assert.Equal("Deployment", Text(autoscaler, "spec", "scaleTargetRef", "kind"));
        Assert.Equal("sysmon-hub", Text(autoscaler, "spec", "scaleTargetRef", "name"));
        var min = int.Parse(Text(autoscaler, "spec", "minReplicas")!, System.Globalization.CultureInfo.InvariantCulture);
        var max = int.Parse(Text(autoscaler, "spec", "maxReplicas")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(replicas, min, max);
        var metric = Sequence(Map(autoscaler, "spec"), "metrics").Single();
        Assert.Equal("cpu", Text(metric, "resource", "name"));
        // Utilization is measured against the request, so the hub must have one.
        Assert.NotNull(Text(Containers(hub)[0], "resources", "requests", "cpu"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryServiceSelectsPodsThatExistOnPortsTheyDeclare(string overlay)
    {
        var objects = Parse(await RenderAsync(overlay));
        var services = objects.Where(o => Kind(o) == "Service").ToList();
        Assert.Contains(services, s => Name(s) == "sysmon-hub");
        Assert.Contains(services, s => Name(s) == "sysmon-hub-grpc");
        foreach (var service in services)
        {
            var selector = Map(service, "spec", "selector");
            var labels = selector.Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
            var pods = objects.Where(IsWorkload).Where(w => labels.All(l => TemplateLabels(w).GetValueOrDefault(l.Key) == l.Value)).ToList();
            Assert.True(pods.Count > 0, $"Service {Name(service)} selects no pods");
            var declared = pods.SelectMany(Containers).SelectMany(c => Sequence(c, "ports")).ToList();
            foreach (var port in Sequence(Map(service, "spec"), "ports"))
            {
                var target = Text(port, "targetPort") ?? Text(port, "port")!;
                Assert.True(declared.Any(p => Text(p, "name") == target || Text(p, "containerPort") == target),
                    $"Service {Name(service)} targets port {target}, which its pods do not declare");
            }
        }

        // Each Ingress sends to a Service and port that exist.
        foreach (var ingress in objects.Where(o => Kind(o) == "Ingress"))
        {
            foreach (var rule in Sequence(Map(ingress, "spec"), "rules"))
            {
                foreach (var path in Sequence(Map(rule, "http"), "paths"))
                {
                    var backend = Map(path, "backend", "service");
                    var service = Single(objects, "Service", Text(backend, "name")!);
                    Assert.Contains(Sequence(Map(service, "spec"), "ports"), p => Text(p, "name") == Text(backend, "port", "name"));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheAgentRunsOnEveryNodeAndReadsTheHostReadOnly(string overlay)
    {
        var agent = Single(Parse(await RenderAsync(overlay)), "DaemonSet", "sysmon-agent");
        var pod = Map(agent, "spec", "template", "spec");
        Assert.Equal("true", Text(pod, "hostPID"));
        Assert.NotEqual("true", Text(pod, "hostNetwork"));

        // Some taints a cluster may put on nodes; the agent must run on all of them.
        var taints = new[]
        {
            ("node-role.kubernetes.io/control-plane", "", "NoSchedule"),
            ("node.kubernetes.io/not-ready", "", "NoExecute"),
            ("node.kubernetes.io/unreachable", "", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "", "NoSchedule"),
            ("dedicated", "gpu", "NoSchedule"),
            ("example.com/anything", "at-all", "PreferNoSchedule"),
        };
        var tolerations = Sequence(pod, "tolerations");
        foreach (var taint in taints)
        {
            Assert.True(tolerations.Any(t => Tolerates(t, taint)), $"no toleration for the taint {taint}");
        }

        var volumes = Sequence(pod, "volumes").ToDictionary(v => Text(v, "name")!);
        var container = Containers(agent)[0];
        var hostMounts = Sequence(container, "volumeMounts").Where(m => volumes[Text(m, "name")!].Children.ContainsKey("hostPath")).ToList();
        var root = hostMounts.Single(m => Text(volumes[Text(m, "name")!], "hostPath", "path") == "/");
        Assert.Equal("/host", Text(root, "mountPath"));
        Assert.Equal("true", Text(root, "readOnly"));
        Assert.Equal("HostToContainer", Text(root, "mountPropagation"));
        // The only writable place on the node is the agent's own state directory (its credential).
        foreach (var mount in hostMounts.Where(m => Text(m, "readOnly") != "true"))
        {
            Assert.Equal("/var/lib/sysmon-agent", Text(volumes[Text(mount, "name")!], "hostPath", "path"));
        }
        var env = Env(container);
        Assert.Equal("/host", env["Agent__HostRoot"]);
        Assert.Equal("/var/lib/sysmon-agent", env["Agent__StateDirectory"]);
        Assert.StartsWith("/etc/sysmon-agent/enrollment/", env["Agent__TokenFile"], StringComparison.Ordinal);

        Assert.NotEqual("true", Text(container, "securityContext", "privileged"));
        Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal(["ALL"], Scalars(Map(container, "securityContext", "capabilities"), "drop"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task NetworkPoliciesDenyByDefaultAndOnlyHubsReachRedis(string overlay)
    {
        var objects = Parse(await RenderAsync(overlay));
        var policies = objects.Where(o => Kind(o) == "NetworkPolicy").ToList();
        Assert.Contains(policies, p => Map(p, "spec", "podSelector").Children.Count == 0
            && Scalars(Map(p, "spec"), "policyTypes").Contains("Ingress")
            && !Map(p, "spec").Children.ContainsKey("ingress"));

        var hubLabels = TemplateLabels(Single(objects, "Deployment", "sysmon-hub"));
        var agentLabels = TemplateLabels(Single(objects, "DaemonSet", "sysmon-agent"));
        var redisLabels = TemplateLabels(Single(objects, "StatefulSet", "sysmon-redis"));

        // Policies add up: every rule of every policy that selects Redis's pods may let in only hub pods.
        var redisRules = policies.Where(p => Selects(Map(p, "spec", "podSelector"), redisLabels))
            .SelectMany(p => Sequence(Map(p, "spec"), "ingress")).ToList();
        Assert.NotEmpty(redisRules);
        foreach (var rule in redisRules)
        {
            var from = Sequence(rule, "from");
            Assert.NotEmpty(from); // no "from" at all means from everywhere
            foreach (var peer in from)
            {
                Assert.Equal(["podSelector"], peer.Children.Keys.Select(k => k.ToString()).ToList());
                Assert.True(Selects(Map(peer, "podSelector"), hubLabels), "a Redis peer that is not the hubs");
                Assert.False(Selects(Map(peer, "podSelector"), agentLabels), "a Redis peer that takes in the agents");
            }
            Assert.Equal(["6379"], Sequence(rule, "ports").Select(p => Text(p, "port")).ToList());
        }

        // The agents reach the hubs' gRPC port.
        var hubRules = policies.Where(p => Selects(Map(p, "spec", "podSelector"), hubLabels)).SelectMany(p => Sequence(Map(p, "spec"), "ingress"));
        Assert.Contains(hubRules, rule => Sequence(rule, "ports").Any(p => Text(p, "port") == "5001")
            && Sequence(rule, "from").Any(peer => peer.Children.ContainsKey("podSelector") && Selects(Map(peer, "podSelector"), agentLabels)));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task HubAndRedisPodsMeetPodSecurityRestrictedAndNoPodGetsAnApiToken(string overlay)
    {
        var objects = Parse(await RenderAsync(overlay));
        foreach (var workload in new[] { Single(objects, "Deployment", "sysmon-hub"), Single(objects, "StatefulSet", "sysmon-redis") })
        {
            var pod = Map(workload, "spec", "template", "spec");
            Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));
            Assert.Equal("RuntimeDefault", Text(pod, "securityContext", "seccompProfile", "type"));
            Assert.DoesNotContain(Sequence(pod, "volumes"), v => v.Children.ContainsKey("hostPath"));
            foreach (var container in Containers(workload))
            {
                Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
                Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
                Assert.Equal(["ALL"], Scalars(Map(container, "securityContext", "capabilities"), "drop"));
            }
        }
        foreach (var workload in objects.Where(IsWorkload))
        {
            Assert.Equal("false", Text(workload, "spec", "template", "spec", "automountServiceAccountToken"));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Rendering, validating, reading

    // kubectl kustomize takes about a second and its output depends only on k8s/: once per directory and test run.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> Rendered = new();

    private static Task<string> RenderAsync(string directory) =>
        Rendered.GetOrAdd(directory, d => new Lazy<Task<string>>(() => RenderOnceAsync(d))).Value;

    private static async Task<string> RenderOnceAsync(string directory)
    {
        var result = await Tool.RunAsync("kubectl", ["kustomize", Path.Combine(K8sDirectory, directory)], timeout: TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"kubectl kustomize k8s/{directory} failed:\n{result}");
        return result.Stdout;
    }

    private static async Task<Tool.Result> ValidateAsync(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"sysmon-k8s-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        try
        {
            return await Tool.RunAsync("node", [Validator, file], timeout: TimeSpan.FromMinutes(1));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static string Serialize(IEnumerable<YamlMappingNode> objects)
    {
        var writer = new StringWriter();
        new YamlStream(objects.Select(o => new YamlDocument(o))).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static string Kind(YamlMappingNode o) => Text(o, "kind") ?? "";

    private static string Name(YamlMappingNode o) => Text(o, "metadata", "name") ?? "";

    private static YamlMappingNode Single(IEnumerable<YamlMappingNode> objects, string kind, string name)
    {
        var matches = objects.Where(o => Kind(o) == kind && Name(o) == name).ToList();
        Assert.True(matches.Count == 1, $"expected one {kind}/{name}, found {matches.Count}");
        return matches[0];
    }

    private static bool IsWorkload(YamlMappingNode o) => Kind(o) is "Deployment" or "DaemonSet" or "StatefulSet";

    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }
            node = child;
        }
        return node;
    }

    private static string? Text(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    private static YamlMappingNode Map(YamlNode node, params string[] path) =>
        Node(node, path) as YamlMappingNode ?? new YamlMappingNode();

    private static List<YamlMappingNode> Sequence(YamlNode node, string key) =>
        (Node(node, key) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>().ToList() ?? [];

    private static List<string> Scalars(YamlNode node, string key) =>
        (Node(node, key) as YamlSequenceNode)?.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList() ?? [];

    private static List<YamlMappingNode> Containers(YamlMappingNode workload)
    {
        var pod = Map(workload, "spec", "template", "spec");
        return [.. Sequence(pod, "initContainers"), .. Sequence(pod, "containers")];
    }

    private static Dictionary<string, string> TemplateLabels(YamlMappingNode workload) =>
        Map(workload, "spec", "template", "metadata", "labels").Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());

    private static List<YamlMappingNode> EnvEntries(YamlMappingNode container) => Sequence(container, "env");

    /// <summary>A container's plain environment values (those set with valueFrom are left out).</summary>
    private static Dictionary<string, string> Env(YamlMappingNode container) =>
        EnvEntries(container).Where(e => Text(e, "value") is not null).ToDictionary(e => Text(e, "name")!, e => Text(e, "value")!);

    /// <summary>The hub's settings from its ConfigMap (the one its envFrom names).</summary>
    private static Dictionary<string, string> HubSettings(List<YamlMappingNode> objects)
    {
        var hub = Containers(Single(objects, "Deployment", "sysmon-hub"))[0];
        var name = Sequence(hub, "envFrom").Select(e => Text(e, "configMapRef", "name")).Single(n => n is not null);
        return Map(Single(objects, "ConfigMap", name!), "data").Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
    }

    /// <summary>A label selector (matchLabels, matchExpressions) against a set of labels, as Kubernetes applies it.</summary>
    private static bool Selects(YamlMappingNode selector, Dictionary<string, string> labels)
    {
        foreach (var (key, value) in Map(selector, "matchLabels").Children)
        {
            if (labels.GetValueOrDefault(key.ToString()) != value.ToString())
            {
                return false;
            }
        }
        foreach (var expression in Sequence(selector, "matchExpressions"))
        {
            var key = Text(expression, "key")!;
            var values = Scalars(expression, "values");
            var present = labels.TryGetValue(key, out var actual);
            var matches = Text(expression, "operator") switch
            {
                "In" => present && values.Contains(actual!),
                "NotIn" => !present || !values.Contains(actual!),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!matches)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether a toleration tolerates a taint (key, value, effect), as the scheduler decides.</summary>
    private static bool Tolerates(YamlMappingNode toleration, (string Key, string Value, string Effect) taint)
    {
        var effect = Text(toleration, "effect") ?? "";
        if (effect.Length > 0 && effect != taint.Effect)
        {
            return false;
        }
        var key = Text(toleration, "key") ?? "";
        var op = Text(toleration, "operator") ?? "Equal";
        if (key.Length == 0)
        {
            return op == "Exists";
        }
        return key == taint.Key && (op == "Exists" || (Text(toleration, "value") ?? "") == taint.Value);
    }
}
