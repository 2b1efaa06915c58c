using System.Text.RegularExpressions;
using System.Xml.Linq;
using SysMon.TestSupport;
using Xunit;

namespace SysMon.Deploy.Tests;

/// <summary>
/// The two Dockerfiles and .dockerignore against the documented checklist (docs/docker.md, "Checklist";
/// <see cref="DockerfileChecklist"/>), since no Docker engine runs here to build them and hadolint cannot be
/// installed. Each rule is also shown to fail on a Dockerfile that breaks it, so a passing check means something.
/// </summary>
public sealed class DockerfileTests
{
    private static string HubDockerfile => File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Hub", "Dockerfile"));
    private static string AgentDockerfile => File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Agent", "Dockerfile"));
    private static string Dockerignore => File.ReadAllText(Path.Combine(RepoPaths.Root, ".dockerignore"));

    private static readonly ImageExpectations Hub = new(Healthcheck: true, DashboardStage: true);
    private static readonly ImageExpectations Agent = new(RootAllowedWithReason: true);

    private static void AssertFollowsChecklist(IReadOnlyList<ChecklistViolation> violations, string what) =>
        Assert.True(violations.Count == 0, $"{what} breaks the checklist (docs/docker.md):\n{string.Join('\n', violations)}");

    [Fact]
    public void TheHubDockerfileFollowsTheChecklist()
    {
        AssertFollowsChecklist(DockerfileChecklist.Check(HubDockerfile, Hub), "src/Hub/Dockerfile");

        var stages = DockerfileChecklist.Stages(HubDockerfile);
        var final = stages[^1];
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", final.Image, StringComparison.Ordinal);
        // The probe is the hub's own command: the runtime image has no curl or wget.
        var healthcheck = Assert.Single(final.Instructions, x => x.Keyword == "HEALTHCHECK");
        Assert.Contains("\"SysMon.Hub.dll\", \"healthcheck\"", healthcheck.Arguments, StringComparison.Ordinal);
        // The SDK stage must not build the dashboard again (it has no Node): the Node stage did.
        var publish = Assert.Single(stages.SelectMany(s => s.Instructions), x => x.Keyword == "RUN" && x.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("-p:SkipDashboardBuild=true", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains(stages.SelectMany(s => s.Instructions), x => x.Keyword == "COPY" && Regex.IsMatch(x.Arguments, @"--from=dashboard\s+\S*dist/?\s+/app/dashboard/?$"));
        Assert.Contains(final.Instructions, x => x.Keyword == "EXPOSE" && x.Arguments.Split(' ').Order().SequenceEqual(["5000", "5001"]));
    }

    [Fact]
    public void TheAgentDockerfileFollowsTheChecklistAndShipsTheNativeBinaryAlone()
    {
        AssertFollowsChecklist(DockerfileChecklist.Check(AgentDockerfile, Agent), "src/Agent/Dockerfile");

        var stages = DockerfileChecklist.Stages(AgentDockerfile);
        var final = stages[^1];
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime-deps:", final.Image, StringComparison.Ordinal);
        var publish = Assert.Single(stages.SelectMany(s => s.Instructions), x => x.Keyword == "RUN" && x.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("-p:PublishAot=true", publish.Arguments, StringComparison.Ordinal);
        // NativeAOT links natively: clang and zlib in the build stage.
        Assert.Contains(stages[0].Instructions, x => x.Keyword == "RUN" && x.Arguments.Contains("clang", StringComparison.Ordinal) && x.Arguments.Contains("zlib1g-dev", StringComparison.Ordinal));
        // The binary itself is the entry point: there is no .NET runtime to start a dll with.
        var entrypoint = Assert.Single(final.Instructions, x => x.Keyword == "ENTRYPOINT");
        Assert.Equal("[\"/usr/local/bin/sysmon-agent\"]", entrypoint.Arguments);
        Assert.Contains(final.Instructions, x => x.Keyword == "COPY" && x.Arguments.Contains("/sysmon-agent /usr/local/bin/sysmon-agent", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDockerignoreKeepsHistoryBuildOutputsAndNodeModulesOutOfTheContext() =>
        AssertFollowsChecklist(DockerfileChecklist.CheckDockerignore(Dockerignore), ".dockerignore");

    [Theory]
    [InlineData("src/Hub/Dockerfile")]
    [InlineData("src/Agent/Dockerfile")]
    public void EveryFileTheImageCopiesFromTheContextExistsAndIsNotIgnored(string dockerfile)
    {
        var ignore = Dockerignore;
        foreach (var copy in DockerfileChecklist.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, dockerfile)))
                     .Where(x => x.Keyword == "COPY" && !x.Arguments.Contains("--from", StringComparison.Ordinal)))
        {
            foreach (var source in CopySources(copy))
            {
                var path = Path.Combine(RepoPaths.Root, source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{dockerfile} line {copy.Line} copies {source}, which does not exist");
                Assert.False(IsIgnored(source, ignore), $"{dockerfile} line {copy.Line} copies {source}, which .dockerignore keeps out of the context");
            }
        }
    }

    [Theory]
    [InlineData("src/Hub/Dockerfile", "src/Hub/SysMon.Hub.csproj")]
    [InlineData("src/Agent/Dockerfile", "src/Agent/SysMon.Agent.csproj")]
    public void EveryFileTheProjectsNeedIsCopiedBeforeItIsBuilt(string dockerfile, string project)
    {
        // A new project reference or .proto outside the copied folders would fail only at `docker build`, which CI does not run.
        var build = DockerfileChecklist.Stages(File.ReadAllText(Path.Combine(RepoPaths.Root, dockerfile)))
            .Single(s => s.Instructions.Any(x => x.Keyword == "RUN" && x.Arguments.Contains("dotnet publish", StringComparison.Ordinal)));
        var copied = build.Instructions.Where(x => x.Keyword == "COPY" && !x.Arguments.Contains("--from", StringComparison.Ordinal))
            .SelectMany(CopySources).ToList();
        string[] needed = ["global.json", "Directory.Build.props", "Directory.Packages.props", .. ProjectInputs(project)];
        foreach (var file in needed)
        {
            Assert.True(copied.Any(source => file == source.TrimEnd('/') || file.StartsWith(source.TrimEnd('/') + "/", StringComparison.Ordinal)),
                $"{project} needs {file}, which the build stage of {dockerfile} does not copy (it copies {string.Join(", ", copied)})");
        }
    }

    /// <summary>
    /// A Dockerfile that follows every rule for the hub (its shape, in little), which each case below breaks in one place.
    /// </summary>
    private const string GoodDockerfile = """
        # syntax=docker/dockerfile:1
        FROM node:22-bookworm-slim AS dashboard
        WORKDIR /src
        COPY package.json package-lock.json ./
        RUN npm ci
        COPY src/ src/
        RUN npm run build

        FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
        RUN apt-get update \
            && apt-get install -y --no-install-recommends clang \
            && rm -rf /var/lib/apt/lists/*
        WORKDIR /src
        COPY app.csproj ./
        RUN dotnet restore
        COPY src/ src/
        RUN dotnet publish -o /app
        COPY --from=dashboard /src/dist/ /app/dashboard/

        FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
        WORKDIR /app
        COPY --from=build /app .
        ENV Logging__LogLevel__Default=Information
        USER $APP_UID
        HEALTHCHECK --interval=30s CMD ["dotnet", "app.dll", "healthcheck"]
        ENTRYPOINT ["dotnet", "app.dll"]
        """;

    [Fact]
    public void TheExampleTheBrokenCasesStartFromFollowsTheChecklist() =>
        AssertFollowsChecklist(DockerfileChecklist.Check(GoodDockerfile, Hub), "the good example");

    [Theory]
    [InlineData(DockerfileChecklist.TaggedBase, "FROM node:22-bookworm-slim AS", "FROM node AS")]
    [InlineData(DockerfileChecklist.TaggedBase, "aspnet:10.0-noble", "aspnet:latest")]
    [InlineData(DockerfileChecklist.TaggedBase, "FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble", "FROM ${RUNTIME_IMAGE}")]
    [InlineData(DockerfileChecklist.MultiStage, "FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble", "FROM mcr.microsoft.com/dotnet/sdk:10.0-noble")]
    [InlineData(DockerfileChecklist.MultiStage, "FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble", "FROM build AS final")]
    [InlineData(DockerfileChecklist.NonRoot, "USER $APP_UID", "USER root")]
    [InlineData(DockerfileChecklist.NonRoot, "USER $APP_UID", "USER 0:0")]
    [InlineData(DockerfileChecklist.NonRoot, "USER $APP_UID\n", "")]
    [InlineData(DockerfileChecklist.NonRoot, "USER $APP_UID", "# root-by-design: the hub may not claim the agent's reason\nUSER root")]
    [InlineData(DockerfileChecklist.Healthcheck, "HEALTHCHECK --interval=30s CMD [\"dotnet\", \"app.dll\", \"healthcheck\"]", "")]
    [InlineData(DockerfileChecklist.Healthcheck, "HEALTHCHECK --interval=30s CMD [\"dotnet\", \"app.dll\", \"healthcheck\"]", "HEALTHCHECK NONE")]
    [InlineData(DockerfileChecklist.ExecForm, "ENTRYPOINT [\"dotnet\", \"app.dll\"]", "ENTRYPOINT dotnet app.dll")]
    [InlineData(DockerfileChecklist.ExecForm, "CMD [\"dotnet\", \"app.dll\", \"healthcheck\"]", "CMD curl -f http://localhost:5000/ || exit 1")]
    [InlineData(DockerfileChecklist.ExecForm, "ENTRYPOINT [\"dotnet\", \"app.dll\"]", "")]
    [InlineData(DockerfileChecklist.NoAdd, "COPY app.csproj ./", "ADD https://example.com/app.csproj ./")]
    [InlineData(DockerfileChecklist.NoAdd, "COPY app.csproj ./", "ADD app.csproj ./")]
    [InlineData(DockerfileChecklist.AptHygiene, "-y --no-install-recommends clang", "-y clang")]
    [InlineData(DockerfileChecklist.AptHygiene, "-y --no-install-recommends clang", "--no-install-recommends clang")]
    [InlineData(DockerfileChecklist.AptHygiene, " \\\n    && rm -rf /var/lib/apt/lists/*", "")]
    [InlineData(DockerfileChecklist.AptHygiene, "apt-get install -y", "apt install -y")]
    [InlineData(DockerfileChecklist.NoSecrets, "ENV Logging__LogLevel__Default=Information", "ENV Smtp__Password=hunter2")]
    [InlineData(DockerfileChecklist.NoSecrets, "ENV Logging__LogLevel__Default=Information", "ARG GITHUB_TOKEN")]
    [InlineData(DockerfileChecklist.NoSecrets, "ENV Logging__LogLevel__Default=Information", "ENV OIDC_CLIENT_SECRET s3cr3t")]
    [InlineData(DockerfileChecklist.DashboardStage, "RUN npm run build", "RUN npm test")]
    [InlineData(DockerfileChecklist.DashboardStage, "COPY --from=dashboard /src/dist/ /app/dashboard/\n", "")]
    [InlineData(DockerfileChecklist.NoCopyEverything, "COPY src/ src/\nRUN dotnet publish", "COPY . .\nRUN dotnet publish")]
    public void ADockerfileThatBreaksARuleIsReportedForThatRuleAlone(string rule, string find, string replace)
    {
        var broken = GoodDockerfile.Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(GoodDockerfile, broken);

        var violations = DockerfileChecklist.Check(broken, Hub);

        Assert.True(violations.Count > 0 && violations.All(v => v.Rule == rule),
            $"expected [{rule}] only, got:\n{string.Join('\n', violations)}\nfor:\n{broken}");
    }

    [Fact]
    public void AOneStageImageIsReported()
    {
        const string oneStage = """
            FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
            COPY app/ /app/
            USER $APP_UID
            ENTRYPOINT ["dotnet", "/app/app.dll"]
            """;
        var violation = Assert.Single(DockerfileChecklist.Check(oneStage, new ImageExpectations()));
        Assert.Equal(DockerfileChecklist.MultiStage, violation.Rule);
    }

    [Fact]
    public void TheAgentRunsAsRootOnlyWithItsStatedReason()
    {
        var marker = $"# {DockerfileChecklist.RootMarker}";
        Assert.Contains(marker, AgentDockerfile, StringComparison.Ordinal);

        var unexplained = AgentDockerfile.Replace(marker, "# ", StringComparison.Ordinal);
        var violation = Assert.Single(DockerfileChecklist.Check(unexplained, Agent));
        Assert.Equal(DockerfileChecklist.NonRoot, violation.Rule);

        // The reason is the agent's alone: the same words would not let the hub run as root.
        var rootHub = Regex.Replace(HubDockerfile, @"(?m)^USER .*$", $"{marker} the same words as the agent's, copied over\nUSER root");
        Assert.Contains(DockerfileChecklist.Check(rootHub, Hub), v => v.Rule == DockerfileChecklist.NonRoot);
    }

    [Fact]
    public void ADockerignoreThatLetsBuildOutputsOrNodeModulesInIsReported()
    {
        var withoutNodeModules = Dockerignore.Replace("**/node_modules\n", "", StringComparison.Ordinal);
        Assert.NotEqual(Dockerignore, withoutNodeModules);
        var missing = Assert.Single(DockerfileChecklist.CheckDockerignore(withoutNodeModules));
        Assert.Contains("**/node_modules", missing.Message, StringComparison.Ordinal);

        var reincluded = Assert.Single(DockerfileChecklist.CheckDockerignore(Dockerignore + "\n!**/bin/Release\n"));
        Assert.Contains("!**/bin/Release", reincluded.Message, StringComparison.Ordinal);

        Assert.Equal(DockerfileChecklist.DockerignoreRequired.Count, DockerfileChecklist.CheckDockerignore("# nothing\n").Count);
    }

    [Fact]
    public void EveryRuleIsInTheDocumentedChecklistAndEveryDocumentedRuleIsChecked()
    {
        var docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "docker.md"));
        var start = docs.IndexOf("\n## Checklist\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/docker.md has no \"## Checklist\" section");
        var end = docs.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var checklist = docs[start..(end < 0 ? docs.Length : end)];
        var documented = Regex.Matches(checklist, @"(?m)^\| `([a-z-]+)` \|").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(DockerfileChecklist.Rules.Order(), documented.Order());
        Assert.Contains(DockerfileChecklist.RootMarker, checklist, StringComparison.Ordinal);
    }

    /// <summary>COPY's sources (all words but the destination and the flags), as written.</summary>
    private static IEnumerable<string> CopySources(DockerInstruction copy)
    {
        var words = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
        return words.Take(words.Count - 1);
    }

    /// <summary>Repository-relative files a project names (project references, .proto files, imports), following project references.</summary>
    private static IEnumerable<string> ProjectInputs(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Queue<string>([project]);
        while (pending.TryDequeue(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }
            yield return current;
            var directory = Path.GetDirectoryName(Path.Combine(RepoPaths.Root, current))!;
            var xml = XDocument.Load(Path.Combine(RepoPaths.Root, current));
            foreach (var element in xml.Descendants())
            {
                var include = element.Name.LocalName switch
                {
                    "ProjectReference" or "Protobuf" => element.Attribute("Include")?.Value,
                    "Import" => element.Attribute("Project")?.Value,
                    _ => null,
                };
                if (include is null || include.Contains('$', StringComparison.Ordinal))
                {
                    continue;
                }
                var relative = Path.GetRelativePath(RepoPaths.Root, Path.GetFullPath(Path.Combine(directory, include.Replace('\\', '/'))));
                if (element.Name.LocalName == "ProjectReference")
                {
                    pending.Enqueue(relative);
                }
                else
                {
                    yield return relative;
                }
            }
        }
    }

    /// <summary>
    /// Whether Docker leaves <paramref name="path"/> out of the build context: the last matching .dockerignore line
    /// wins ('!' brings a path back), and a pattern that matches a folder matches everything under it.
    /// </summary>
    private static bool IsIgnored(string path, string dockerignore)
    {
        path = path.Trim('/');
        var ignored = false;
        foreach (var line in dockerignore.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var exception = line.StartsWith('!');
            var pattern = line.TrimStart('!').Trim('/');
            var regex = "^" + Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
                .Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "(/.*)?$";
            if (Regex.IsMatch(path, regex))
            {
                ignored = !exception;
            }
        }
        return ignored;
    }
}
