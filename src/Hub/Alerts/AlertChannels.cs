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
    /// <summary>Email over SMTP (MailKit): the title as the subject, the text as the body.</summary>
    Email,
}

[JsonConverter(typeof(JsonStringEnumConverter<SmtpSecurity>))]
public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it (port 587 or 25), TLS from the start on port 465.</summary>
    Auto,
    StartTls,
    SslOnConnect,
    /// <summary>Plain text: only to a relay on this host or a trusted network.</summary>
    None,
}

/// <summary>A channel that could not take a message: the notifier retries, then shows the reason.</summary>
public sealed class ChannelDeliveryException(string message, Exception? inner = null) : Exception(message, inner);

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

    /// <summary>Email: the SMTP server.</summary>
    public string SmtpHost { get; set; } = "";
    public int SmtpPort { get; set; } = 587;
    public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.Auto;
    /// <summary>Email: the account, when the server wants one.</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "";
    public string[] To { get; set; } = [];

    public string? Problem()
    {
        if (Id.Length is 0 or > 64)
        {
            return "Channel ids are 1 to 64 characters.";
        }
        if (Kind == ChannelKind.Email)
        {
            return SmtpHost.Length == 0 || SmtpPort is <= 0 or > 65535 ? $"Channel '{Id}': email needs SmtpHost (and SmtpPort)."
                : !MimeKit.MailboxAddress.TryParse(From, out _) ? $"Channel '{Id}': From must be an email address."
                : To.Length == 0 || !To.All(to => MimeKit.MailboxAddress.TryParse(to, out _)) ? $"Channel '{Id}': To must list email addresses."
                : null;
        }
        return !Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ? $"Channel '{Id}': Url must be an http(s) URL." : null;
    }
}

/// <summary>One message for one channel: events of one kind (fired or resolved), grouped.</summary>
/// <param name="Reminder">A reminder about alerts still firing (<c>Alerts:RepeatMinutes</c>), not a new firing.</param>
public sealed record AlertMessage(TransitionKind Kind, IReadOnlyList<(string Id, AlertEvent Event)> Events, bool Reminder = false)
{
    private string Status => Reminder ? "STILL FIRING" : Kind == TransitionKind.Fired ? "FIRING" : "RESOLVED";

    public string Title => Events.Count == 1
        ? $"[{Status}] {Events[0].Event.RuleName} on {Events[0].Event.MachineId}{InstanceText(Events[0].Event)}"
        : $"[{Status}] {Events.Count} alerts: {string.Join(", ", Events.Select(e => e.Event.RuleName).Distinct())}";

    public string Text => string.Join("\n", Events.Select(e => string.Create(CultureInfo.InvariantCulture,
        $"{e.Event.Severity} {e.Event.RuleName}: {e.Event.MachineId}{InstanceText(e.Event)} = {e.Event.Value:0.##} at {e.Event.At:u}")));

    private static string InstanceText(AlertEvent e) => e.Instance.Length > 0 ? $" ({e.Instance})" : "";
}

/// <summary>Sends messages to channels (HTTP, or SMTP for email). Any failure is a <see cref="ChannelDeliveryException"/>, so the notifier retries.</summary>
public sealed class AlertChannelSender(HttpClient http)
{
    public const string SignatureHeader = "X-SysMon-Signature";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task SendAsync(ChannelSettings channel, AlertMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (channel.Kind == ChannelKind.Email)
            {
                await SendEmailAsync(channel, message, cancellationToken);
            }
            else
            {
                await SendHttpAsync(channel, message, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not ChannelDeliveryException && !cancellationToken.IsCancellationRequested)
        {
            throw new ChannelDeliveryException($"{channel.Id}: {ex.Message}", ex);
        }
    }

    private static async Task SendEmailAsync(ChannelSettings channel, AlertMessage message, CancellationToken cancellationToken)
    {
        var mail = new MimeKit.MimeMessage();
        mail.From.Add(MimeKit.MailboxAddress.Parse(channel.From));
        foreach (var to in channel.To)
        {
            mail.To.Add(MimeKit.MailboxAddress.Parse(to));
        }
        mail.Subject = message.Title;
        mail.Body = new MimeKit.TextPart("plain") { Text = message.Text + "\n\n-- \nSysMon" };
        using var smtp = new MailKit.Net.Smtp.SmtpClient { Timeout = 10_000 };
        var security = channel.SmtpSecurity switch
        {
            SmtpSecurity.StartTls => MailKit.Security.SecureSocketOptions.StartTls,
            SmtpSecurity.SslOnConnect => MailKit.Security.SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => MailKit.Security.SecureSocketOptions.None,
            _ => MailKit.Security.SecureSocketOptions.Auto,
        };
        await smtp.ConnectAsync(channel.SmtpHost, channel.SmtpPort, security, cancellationToken);
        if (!string.IsNullOrEmpty(channel.Username))
        {
            await smtp.AuthenticateAsync(channel.Username, channel.Password ?? "", cancellationToken);
        }
        await smtp.SendAsync(mail, cancellationToken);
        await smtp.DisconnectAsync(quit: true, cancellationToken);
    }

    private async Task SendHttpAsync(ChannelSettings channel, AlertMessage message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url);
        switch (channel.Kind)
        {
            case ChannelKind.Webhook:
                var body = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    status = message.Reminder ? "still-firing" : message.Kind == TransitionKind.Fired ? "firing" : "resolved",
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
            throw new ChannelDeliveryException($"{channel.Id} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    /// <summary>"sha256=" + hex HMAC-SHA256 of the body: receivers recompute it with the shared secret. Pure.</summary>
    public static string Signature(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
