using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SysMon.Agent.Collectors;
using SysMon.Agent.Identity;
using SysMon.Protocol.V1;

namespace SysMon.Agent.Cli;

/// <summary><c>--once</c>: one real reading over one interval, printed as JSON, no hub involved.</summary>
internal static class OnceCommand
{
    private static readonly JsonFormatter s_formatter =
        new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    private static readonly JsonSerializerOptions s_jsonOptions = new()
    {
        WriteIndented = true,
        // Host names and command lines are printed as they are, not as \uXXXX escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<int> RunAsync(IHost host, TextWriter output, CancellationToken cancellationToken)
    {
        var options = host.Services.GetRequiredService<IOptions<AgentOptions>>().Value;
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SysMon.Agent.Once");
        var sampler = host.Services.GetRequiredService<Sampler>();
        var machineId = MachineIdentity.Resolve(options.MachineId, HostPaths.From(options).EtcRoot, options.StateDirectory, logger);
        var hello = SystemInfo.ReadPlatformHello(options, machineId, sampler.SampleIntervalMs, sampler.CollectorNames);
        var sample = await sampler.SampleOnceAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Format(hello, sample).AsMemory(), cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>{"hello": {…}, "sample": {…}} in the proto3 JSON mapping (camelCase, 64-bit integers as strings).</summary>
    internal static string Format(Hello hello, Sample sample)
    {
        var document = new JsonObject
        {
            ["hello"] = JsonNode.Parse(s_formatter.Format(hello)),
            ["sample"] = JsonNode.Parse(s_formatter.Format(sample)),
        };
        return document.ToJsonString(s_jsonOptions);
    }
}
