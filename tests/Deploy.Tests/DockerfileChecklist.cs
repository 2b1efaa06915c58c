using System.Text.Json;
using System.Text.RegularExpressions;

namespace SysMon.Deploy.Tests;

/// <summary>One instruction of a Dockerfile, continuation lines joined; <see cref="Line"/> is where it starts.</summary>
public sealed record DockerInstruction(int Line, string Keyword, string Arguments);

/// <summary>A FROM and what follows it, up to the next FROM; <see cref="Comments"/> are the comment lines in between.</summary>
public sealed record DockerStage(int Index, string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions, IReadOnlyList<string> Comments)
{
    public int Line => Instructions[0].Line;
}

/// <summary>A rule broken, where, and why it matters.</summary>
public sealed record ChecklistViolation(string Rule, int Line, string Message)
{
    public override string ToString() => $"line {Line}: [{Rule}] {Message}";
}

/// <summary>What a particular image must have on top of the rules every image follows.</summary>
/// <param name="Healthcheck">The final stage declares a HEALTHCHECK (the hub: Docker and Compose know when it serves).</param>
/// <param name="DashboardStage">A Node stage builds the dashboard and a later stage copies its output (the hub).</param>
/// <param name="RootAllowedWithReason">
/// The final stage may run as root if a comment in it carries <see cref="DockerfileChecklist.RootMarker"/> and the reason
/// (the agent, which reads other users' /proc entries).
/// </param>
public sealed record ImageExpectations(bool Healthcheck = false, bool DashboardStage = false, bool RootAllowedWithReason = false);

/// <summary>
/// The documented Dockerfile checklist (docs/docker.md, "Checklist"), in place of hadolint, which this CI cannot
/// install (Debian, npm and NuGet do not carry it). Each rule names the hadolint or BuildKit check it stands for.
/// Pure: it reads the text it is given, never the file system.
/// </summary>
public static partial class DockerfileChecklist
{
    public const string TaggedBase = "tagged-base";
    public const string MultiStage = "multi-stage";
    public const string NonRoot = "non-root";
    public const string Healthcheck = "healthcheck";
    public const string ExecForm = "exec-form";
    public const string NoAdd = "no-add";
    public const string AptHygiene = "apt-hygiene";
    public const string NoSecrets = "no-secrets";
    public const string DashboardStage = "dashboard-stage";
    public const string NoCopyEverything = "no-copy-everything";
    public const string Dockerignore = "dockerignore";

    public static readonly IReadOnlyList<string> Rules =
        [TaggedBase, MultiStage, NonRoot, Healthcheck, ExecForm, NoAdd, AptHygiene, NoSecrets, DashboardStage, NoCopyEverything, Dockerignore];

    /// <summary>The comment that lets a final stage run as root: "# root-by-design: why".</summary>
    public const string RootMarker = "root-by-design:";

    /// <summary>What .dockerignore must exclude: history, build outputs and dependencies a build recreates.</summary>
    public static readonly IReadOnlyList<string> DockerignoreRequired = [".git", "**/bin", "**/obj", "**/node_modules", "artifacts"];

    /// <summary>Instructions in order; comments and blank lines dropped, continuation lines joined.</summary>
    public static IReadOnlyList<DockerInstruction> Parse(string dockerfile) => ParseWithComments(dockerfile).Instructions;

    public static IReadOnlyList<DockerStage> Stages(string dockerfile)
    {
        var (instructions, comments) = ParseWithComments(dockerfile);
        var stages = new List<DockerStage>();
        for (var i = 0; i < instructions.Count; i++)
        {
            if (instructions[i].Keyword != "FROM")
            {
                continue;
            }
            var end = instructions.Skip(i + 1).FirstOrDefault(x => x.Keyword == "FROM")?.Line ?? int.MaxValue;
            var body = instructions.Skip(i).TakeWhile(x => x.Line < end).ToList();
            var words = Words(instructions[i].Arguments).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            var name = words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
            stages.Add(new DockerStage(stages.Count, words.FirstOrDefault() ?? "", name, body,
                [.. comments.Where(c => c.Line > instructions[i].Line && c.Line < end).Select(c => c.Text)]));
        }
        return stages;
    }

    /// <summary>Every rule that <paramref name="dockerfile"/> breaks; empty when it follows the checklist.</summary>
    public static IReadOnlyList<ChecklistViolation> Check(string dockerfile, ImageExpectations expect)
    {
        var violations = new List<ChecklistViolation>();
        void Report(string rule, int line, string message) => violations.Add(new ChecklistViolation(rule, line, message));

        var stages = Stages(dockerfile);
        if (stages.Count == 0)
        {
            Report(MultiStage, 1, "no FROM: not a Dockerfile");
            return violations;
        }
        var stageNames = stages.Select(s => s.Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var final = stages[^1];

        foreach (var stage in stages)
        {
            if (!stageNames.Contains(stage.Image) && BaseImageProblem(stage.Image) is { } problem)
            {
                Report(TaggedBase, stage.Line, $"FROM {stage.Image}: {problem}");
            }
        }

        if (stages.Count < 2)
        {
            Report(MultiStage, final.Line, "one stage: the image would carry the tools that built it; build in one stage, run in another");
        }
        // FROM build AS final: the image under it is the earlier stage's.
        var finalImage = final.Image;
        for (var hops = 0; hops < stages.Count && stages.FirstOrDefault(s => string.Equals(s.Name, finalImage, StringComparison.OrdinalIgnoreCase)) is { } earlier; hops++)
        {
            finalImage = earlier.Image;
        }
        if (IsBuildToolImage(finalImage))
        {
            Report(MultiStage, final.Line, $"the final stage runs on {finalImage}, a build image: run on a runtime image (aspnet, runtime-deps)");
        }

        var user = final.Instructions.LastOrDefault(x => x.Keyword == "USER");
        if (user is null)
        {
            Report(NonRoot, final.Line, "the final stage sets no USER: it inherits whatever the base image says; name the user");
        }
        else if (IsRoot(user.Arguments))
        {
            var reason = final.Comments.FirstOrDefault(c => c.Contains(RootMarker, StringComparison.Ordinal));
            if (!expect.RootAllowedWithReason)
            {
                Report(NonRoot, user.Line, $"USER {user.Arguments}: this image must not run as root");
            }
            else if (reason is null || reason[(reason.IndexOf(RootMarker, StringComparison.Ordinal) + RootMarker.Length)..].Trim().Length < 20)
            {
                Report(NonRoot, user.Line, $"USER {user.Arguments} without a '# {RootMarker} <reason>' comment in the final stage saying why");
            }
        }

        var healthchecks = final.Instructions.Where(x => x.Keyword == "HEALTHCHECK").ToList();
        if (expect.Healthcheck && (healthchecks.Count == 0 || healthchecks[^1].Arguments.Trim().Equals("NONE", StringComparison.OrdinalIgnoreCase)))
        {
            Report(Healthcheck, final.Line, "the final stage has no HEALTHCHECK: Docker and Compose cannot tell a hung hub from a working one");
        }

        if (!final.Instructions.Any(x => x.Keyword is "ENTRYPOINT" or "CMD"))
        {
            Report(ExecForm, final.Line, "the final stage has neither ENTRYPOINT nor CMD");
        }
        foreach (var instruction in stages.SelectMany(s => s.Instructions))
        {
            var command = instruction.Keyword switch
            {
                "ENTRYPOINT" or "CMD" => instruction.Arguments,
                "HEALTHCHECK" when HealthcheckCommand().Match(instruction.Arguments) is { Success: true } m => m.Groups[1].Value,
                _ => null,
            };
            if (command is not null && !IsExecForm(command))
            {
                Report(ExecForm, instruction.Line, $"{instruction.Keyword} in shell form: use a JSON array, so signals reach the process and no shell is needed");
            }

            switch (instruction.Keyword)
            {
                case "ADD":
                    Report(NoAdd, instruction.Line, "ADD: use COPY (ADD fetches URLs and unpacks archives, implicitly)");
                    break;
                case "RUN":
                    foreach (var problem in AptProblems(instruction.Arguments))
                    {
                        Report(AptHygiene, instruction.Line, problem);
                    }
                    break;
                case "ENV" or "ARG":
                    foreach (var name in VariableNames(instruction).Where(n => SecretName().IsMatch(n)))
                    {
                        Report(NoSecrets, instruction.Line, $"{instruction.Keyword} {name}: a secret in ENV or ARG stays in the image's history; mount it at build (--secret) or pass it at run");
                    }
                    break;
                case "COPY" when Words(instruction.Arguments).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList() is [".", _]
                    && !instruction.Arguments.Contains("--from", StringComparison.Ordinal):
                    Report(NoCopyEverything, instruction.Line, "COPY . : the whole context in one layer, invalidated by any change; copy what the stage needs");
                    break;
            }
        }

        if (expect.DashboardStage)
        {
            var node = stages.FirstOrDefault(s => Repository(s.Image) == "node"
                && s.Instructions.Any(x => x.Keyword == "RUN" && x.Arguments.Contains("npm ci", StringComparison.Ordinal))
                && s.Instructions.Any(x => x.Keyword == "RUN" && x.Arguments.Contains("npm run build", StringComparison.Ordinal)));
            if (node is null)
            {
                Report(DashboardStage, stages[0].Line, "no node stage runs `npm ci` and `npm run build`: the dashboard must be built in its own stage");
            }
            else if (node.Name is null || !stages.Skip(node.Index + 1).SelectMany(s => s.Instructions)
                         .Any(x => x.Keyword == "COPY" && x.Arguments.Contains($"--from={node.Name}", StringComparison.OrdinalIgnoreCase)))
            {
                Report(DashboardStage, node.Line, "the dashboard's stage is never copied from (COPY --from=<its name>)");
            }
        }
        return violations;
    }

    /// <summary>The required exclusions a .dockerignore lacks (or re-includes with '!').</summary>
    public static IReadOnlyList<ChecklistViolation> CheckDockerignore(string dockerignore)
    {
        var entries = dockerignore.Split('\n')
            .Select((text, index) => (Text: text.Trim(), Line: index + 1))
            .Where(e => e.Text.Length > 0 && !e.Text.StartsWith('#'))
            .ToList();
        static string Normal(string pattern) => pattern.TrimStart('!').Trim('/');
        var violations = new List<ChecklistViolation>();
        foreach (var required in DockerignoreRequired)
        {
            var excluded = entries.Any(e => !e.Text.StartsWith('!') && Normal(e.Text) == required);
            var reincluded = entries.FirstOrDefault(e => e.Text.StartsWith('!') && Normal(e.Text).StartsWith(required, StringComparison.Ordinal));
            if (!excluded)
            {
                violations.Add(new ChecklistViolation(Dockerignore, 1, $".dockerignore does not exclude {required}"));
            }
            else if (reincluded.Text is not null)
            {
                violations.Add(new ChecklistViolation(Dockerignore, reincluded.Line, $".dockerignore excludes {required} but '{reincluded.Text}' brings part of it back"));
            }
        }
        return violations;
    }

    /// <summary>Why an image reference is not pinned to a tag or digest, or null when it is.</summary>
    public static string? BaseImageProblem(string image)
    {
        if (image.Contains('$', StringComparison.Ordinal))
        {
            return "an image named by a variable cannot be checked; name it";
        }
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return null; // a digest: pinned harder than any tag
        }
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastSegment.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return "no tag: it means :latest, whatever that is at the next build";
        }
        return lastSegment[(colon + 1)..].Equals("latest", StringComparison.OrdinalIgnoreCase)
            ? ":latest changes under the build; name a version"
            : null;
    }

    private static bool IsBuildToolImage(string image) => Repository(image) is "mcr.microsoft.com/dotnet/sdk" or "node";

    /// <summary>The image without its tag or digest: "node:22-slim" → "node"; Docker Hub's "library/" prefix dropped.</summary>
    private static string Repository(string image)
    {
        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.IndexOf(':', slash + 1);
        name = (colon < 0 ? name : name[..colon]).ToLowerInvariant();
        return name.StartsWith("docker.io/", StringComparison.Ordinal) ? name["docker.io/".Length..].Replace("library/", "", StringComparison.Ordinal) : name;
    }

    private static bool IsRoot(string user)
    {
        var name = user.Trim().Split(':')[0];
        return name is "root" or "0";
    }

    private static bool IsExecForm(string arguments)
    {
        var text = arguments.Trim();
        if (!text.StartsWith('['))
        {
            return false;
        }
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.ValueKind == JsonValueKind.Array && json.RootElement.GetArrayLength() > 0
                && json.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static IEnumerable<string> AptProblems(string run)
    {
        if (AptShort().IsMatch(run))
        {
            yield return "`apt install`: apt's command line is for people and may change; use apt-get";
        }
        foreach (var command in Regex.Split(run, @"&&|\|\||;").Where(c => AptInstall().IsMatch(c)))
        {
            if (!command.Contains("--no-install-recommends", StringComparison.Ordinal))
            {
                yield return "apt-get install without --no-install-recommends: recommended packages bloat the image";
            }
            if (!Regex.IsMatch(command, @"(\s-[a-zA-Z]*y[a-zA-Z]*\b)|--yes|--assume-yes"))
            {
                yield return "apt-get install without -y: it waits for an answer no build gives";
            }
        }
        if (AptInstall().IsMatch(run) && !Regex.IsMatch(run, @"rm\s+-(rf|fr)\s+/var/lib/apt/lists/?\*?"))
        {
            yield return "apt-get install without `rm -rf /var/lib/apt/lists/*` in the same RUN: the package lists stay in the layer";
        }
    }

    private static IEnumerable<string> VariableNames(DockerInstruction instruction)
    {
        var text = instruction.Arguments.Trim();
        // ENV key value (legacy): one variable, the rest is its value.
        if (instruction.Keyword == "ENV" && !text.Split(' ', 2)[0].Contains('=', StringComparison.Ordinal))
        {
            return [text.Split(' ', 2)[0]];
        }
        return Words(text).Select(w => w.Split('=', 2)[0]).Where(n => n.Length > 0);
    }

    /// <summary>Whitespace-separated words, quotes kept together (enough for FROM, COPY, ENV and ARG).</summary>
    private static List<string> Words(string text) =>
        [.. WordPattern().Matches(text).Select(m => m.Value)];

    private static (List<DockerInstruction> Instructions, List<(int Line, string Text)> Comments) ParseWithComments(string dockerfile)
    {
        var instructions = new List<DockerInstruction>();
        var comments = new List<(int Line, string Text)>();
        var lines = dockerfile.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith('#'))
            {
                comments.Add((i + 1, line));
                continue;
            }
            var start = i;
            var text = line;
            // A trailing backslash continues the instruction; comment and blank lines inside it are skipped, as Docker does.
            while (text.EndsWith('\\') && i + 1 < lines.Length)
            {
                text = text[..^1];
                var next = lines[++i].Trim();
                if (next.StartsWith('#'))
                {
                    comments.Add((i + 1, next));
                    text += "\\";
                    continue;
                }
                text += " " + next;
            }
            var space = text.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
            instructions.Add(new DockerInstruction(start + 1, keyword, space < 0 ? "" : text[(space + 1)..].Trim()));
        }
        return (instructions, comments);
    }

    [GeneratedRegex(@"\bapt-get\s+(-\S+\s+)*install\b")]
    private static partial Regex AptInstall();

    [GeneratedRegex(@"\bapt\s+(-\S+\s+)*install\b")]
    private static partial Regex AptShort();

    [GeneratedRegex(@"(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?i)\bCMD\s+(.*)$")]
    private static partial Regex HealthcheckCommand();

    [GeneratedRegex(@"(?:""[^""]*""|'[^']*'|[^\s""'])+")]
    private static partial Regex WordPattern();
}
