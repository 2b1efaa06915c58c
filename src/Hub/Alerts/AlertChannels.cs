using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SysMon.Hub.Alerts;

[JsonConverter(typeof(JsonStringEnumConverter<ChannelKind>))]
public enum ChannelKind
{
    /// <summary>JSON POST of the events, signed with HMAC-SHA256 when a secret is set.</summary>
    Webhook,
    /// <summary>A Slack (or Mattermost) incoming webhook: one text message.</summary>
    Slack,
    /// <summary>An ntfy topic URL (or any plain-HTTP push): the text as the body, title and priority as headers.</summary>
    Ntfy,
}

/// <summary>Where notifications go (<c>Alerts:Channels</c>).</summary>
public sealed class ChannelSettings
{
    public string Id { get; set; } = "";
    public ChannelKind Kind { get; set; } = ChannelKind.Webhook;
    public string Url { get; set; } = "";
    /// <summary>Webhook: the HMAC-SHA256 key of the <c>X-SysMon-Signature</c> header.</summary>
    public string? Secret { get; set; }
    /// <summary>Events below this severity are not sent here.</summary>
    public Severity MinSeverity { get; set; } = Severity.Info;

    public string? Problem() =>
        Id.Length is 0 or > 64 ? "Channel ids are 1 to 64 characters."
        : !Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ? $"Channel '{Id}': Url must be an http(s) URL."
        : null;
}

/// <summary>One message for one channel: events of one kind (fired or resolved), grouped.</summary>
public sealed record AlertMessage(TransitionKind Kind, IReadOnlyList<(string Id, AlertEvent Event)> Events)
{
    public string Title => Events.Count == 1
        ? $"[{(Kind == TransitionKind.Fired ? "FIRING" : "RESOLVED")}] {Events[0].Event.RuleName} on {Events[0].Event.MachineId}{InstanceText(Events[0].Event)}"
        : $"[{(Kind == TransitionKind.Fired ? "FIRING" : "RESOLVED")}] {Events.Count} alerts: {string.Join(", ", Events.Select(e => e.Event.RuleName).Distinct())}";

    public string Text => string.Join("\n", Events.Select(e => string.Create(CultureInfo.InvariantCulture,
        $"{e.Event.Severity} {e.Event.RuleName}: {e.Event.MachineId}{InstanceText(e.Event)} = {e.Event.Value:0.##} at {e.Event.At:u}")));

    private static string InstanceText(AlertEvent e) => e.Instance.Length > 0 ? $" ({e.Instance})" : "";
}

/// <summary>Sends messages to channels over HTTP. Throws on any answer but 2xx, so the notifier retries.</summary>
public sealed class AlertChannelSender(HttpClient http)
{
    public const string SignatureHeader = "X-SysMon-Signature";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task SendAsync(ChannelSettings channel, AlertMessage message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url);
        switch (channel.Kind)
        {
            case ChannelKind.Webhook:
                var body = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    status = message.Kind == TransitionKind.Fired ? "firing" : "resolved",
                    title = message.Title,
                    events = message.Events.Select(e => new
                    {
                        id = e.Id, e.Event.RuleId, e.Event.RuleName, e.Event.Severity, e.Event.MachineId, e.Event.Instance, e.Event.Kind,
                        e.Event.At, e.Event.Value, e.Event.MachineTags,
                    }),
                }, Json);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new("application/json");
                if (!string.IsNullOrEmpty(channel.Secret))
                {
                    request.Headers.Add(SignatureHeader, Signature(channel.Secret, body));
                }
                break;
            case ChannelKind.Slack:
                request.Content = JsonContent.Create(new { text = message.Title + "\n" + message.Text });
                break;
            case ChannelKind.Ntfy:
                request.Content = new StringContent(message.Text, Encoding.UTF8, "text/plain");
                request.Headers.Add("Title", message.Title);
                request.Headers.Add("Priority", message.Events.Max(e => e.Event.Severity) switch
                {
                    Severity.Critical => "urgent",
                    Severity.Warning => "high",
                    _ => "default",
                });
                break;
        }
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{channel.Id} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    /// <summary>"sha256=" + hex HMAC-SHA256 of the body: receivers recompute it with the shared secret. Pure.</summary>
    public static string Signature(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
