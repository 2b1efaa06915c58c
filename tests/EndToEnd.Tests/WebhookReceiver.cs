using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SysMon.TestSupport;

namespace SysMon.EndToEnd.Tests;

/// <summary>
/// A webhook endpoint on loopback that keeps what it receives, checks the signature, and can play a
/// channel that is down (answering 503) until told otherwise.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Delivery(JsonElement Body, string? Signature, byte[] Raw);

    public ConcurrentQueue<Delivery> Received { get; } = new();

    public int Refused => _refused;

    private int _refused;

    public volatile bool Down;

    public Uri Url { get; }

    private WebhookReceiver(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var url = new Uri($"http://127.0.0.1:{FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)}/hook");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, url);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            if (receiver.Down)
            {
                Interlocked.Increment(ref receiver._refused);
                return Results.StatusCode(503);
            }
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var raw = buffer.ToArray();
            receiver.Received.Enqueue(new Delivery(JsonSerializer.Deserialize<JsonElement>(raw), request.Headers["X-SysMon-Signature"].ToString(), raw));
            return Results.Ok();
        });
        await app.StartAsync().WithTimeout();
        return receiver;
    }

    /// <summary>Every firing and resolution received (reminders left out), as (machine, kind), in order of arrival.</summary>
    public List<(string Machine, string Kind)> Events() =>
        [.. Received.Where(d => d.Body.GetProperty("status").GetString() != "still-firing").SelectMany(d => d.Body.GetProperty("events").EnumerateArray()
            .Select(e => (e.GetProperty("machineId").GetString()!, e.GetProperty("kind").GetString()!)))];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WithTimeout();
        await _app.DisposeAsync();
    }
}
