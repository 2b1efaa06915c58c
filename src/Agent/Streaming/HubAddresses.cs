namespace SysMon.Agent.Streaming;

/// <summary>The hub addresses of <see cref="AgentOptions.HubUrl"/>: a comma-separated list of gRPC endpoints.</summary>
internal static class HubAddresses
{
    /// <summary>
    /// Splits <paramref name="hubUrls"/> on commas, trims the entries and skips empty ones. Entries that are not
    /// absolute http or https URLs go to <paramref name="invalid"/>.
    /// </summary>
    public static List<Uri> Parse(string? hubUrls, out List<string> invalid)
    {
        var addresses = new List<Uri>();
        invalid = [];
        if (hubUrls is null)
        {
            return addresses;
        }

        foreach (var entry in hubUrls.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (Uri.TryCreate(entry, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                addresses.Add(uri);
            }
            else
            {
                invalid.Add(entry);
            }
        }

        return addresses;
    }
}
