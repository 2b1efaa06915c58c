using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using SysMon.TestSupport;

namespace SysMon.Hub.Tests;

/// <summary>
/// What the dashboard does over HTTP: keeps cookies, reads the anti-forgery token from GET /api/session
/// and sends it with every state-changing request.
/// </summary>
public sealed class BrowserSession(HttpClient http, CookieContainer cookies) : IDisposable
{
    public HttpClient Http { get; } = http;

    public CookieContainer Cookies { get; } = cookies;

    public static BrowserSession Open<T>(WebApplicationFactory<T> factory) where T : class
    {
        var cookies = new CookieContainer();
        return new(factory.CreateDefaultClient(new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(cookies)), cookies);
    }

    public string Csrf { get; private set; } = "";

    public async Task<JsonElement> SessionAsync()
    {
        var session = await Http.GetFromJsonAsync<JsonElement>("/api/session").WithTimeout();
        Csrf = session.GetProperty("csrfToken").GetString()!;
        return session;
    }

    public async Task<HttpResponseMessage> PostAsync(string path, object? body = null)
    {
        if (Csrf.Length == 0)
        {
            await SessionAsync();
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body ?? new { }) };
        request.Headers.Add("X-SysMon-Csrf", Csrf);
        var response = await Http.SendAsync(request).WithTimeout();
        await response.Content.LoadIntoBufferAsync().WithTimeout();
        if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            var json = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync().WithTimeout());
            if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("csrfToken", out var token))
            {
                Csrf = token.GetString()!; // signing in or out binds a new token to the new principal
            }
        }
        return response;
    }

    public async Task<HttpResponseMessage> DeleteAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        request.Headers.Add("X-SysMon-Csrf", Csrf);
        return await Http.SendAsync(request).WithTimeout();
    }

    public async Task<HttpStatusCode> StatusOfAsync(string path)
    {
        using var response = await Http.GetAsync(path).WithTimeout();
        return response.StatusCode;
    }

    public async Task SignInAsync(string name, string password, string? code = null)
    {
        await SessionAsync(); // as the sign-in form does: a token for whoever is looking now
        using var response = await PostAsync("/api/session/sign-in", new { name, password, code });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"sign-in as {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>The cookies as a Cookie header value, for the SignalR client (whose own jar the test server's handler bypasses).</summary>
    public string CookieHeader() => Cookies.GetCookieHeader(Http.BaseAddress!);

    public void Dispose() => Http.Dispose();
}
