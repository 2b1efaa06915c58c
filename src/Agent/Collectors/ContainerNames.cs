using System.Text.Json;

namespace SysMon.Agent.Collectors;

/// <summary>
/// Container names from the runtimes' metadata on the host's disk, read once per container: Docker's
/// <c>/var/lib/docker/containers/&lt;id&gt;/config.v2.json</c>, and the <c>containers.json</c> of
/// containers/storage that Podman and CRI-O share. containerd keeps its names in a bolt database; those
/// containers are named by their short id.
/// </summary>
/// <remarks>
/// The files are the host's and can be anything: they are parsed with <see cref="Utf8JsonReader"/> (no
/// reflection, AOT-safe), size-capped, and a name that is not one a runtime would accept is not used.
/// </remarks>
internal static class ContainerNames
{
    /// <summary>Longest name reported; longer ones are cut.</summary>
    public const int MaxNameChars = 64;

    /// <summary>Largest config.v2.json read; Docker's are a few KiB to a few hundred with big environments.</summary>
    internal const long MaxDockerConfigBytes = 1 << 20;

    /// <summary>Largest containers.json read; it holds every container of the host, about 1 KiB each.</summary>
    internal const long MaxStorageIndexBytes = 16 << 20;

    private const string DockerContainersFolder = "/var/lib/docker/containers";
    private const string StorageIndexFile = "/var/lib/containers/storage/overlay-containers/containers.json";

    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 64 };

    /// <summary>The name Docker gave container <paramref name="fullId"/>, or null when it cannot be read.</summary>
    public static string? ReadDockerName(HostPaths paths, string fullId) =>
        ReadCapped(paths.Root($"{DockerContainersFolder}/{fullId}/config.v2.json"), MaxDockerConfigBytes) is { } json
            ? ParseDockerName(json)
            : null;

    /// <summary>Podman's and CRI-O's names by full id, or an empty map when there is no readable index.</summary>
    public static Dictionary<string, string> ReadStorageNames(HostPaths paths) =>
        ReadCapped(paths.Root(StorageIndexFile), MaxStorageIndexBytes) is { } json
            ? ParseStorageNames(json)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The top-level "Name" of a Docker config.v2.json ("/web-1" → "web-1"); null when the document is malformed
    /// anywhere or the name is not a usable one.
    /// </summary>
    public static string? ParseDockerName(ReadOnlySpan<byte> json)
    {
        string? name = null;
        try
        {
            var reader = new Utf8JsonReader(json, s_readerOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            // Read to the end even after the name: a document broken further on is not trusted at all.
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1
                    && reader.ValueTextEquals("Name"u8))
                {
                    reader.Read();
                    name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }

        return Sanitize(name);
    }

    /// <summary>
    /// Names by full id from a containers/storage containers.json (an array of {"id", "names": [...]}); the first
    /// name of each. Empty when the document is malformed.
    /// </summary>
    public static Dictionary<string, string> ParseStorageNames(ReadOnlySpan<byte> json)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(json, s_readerOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return names;
            }

            string? id = null, name = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject when reader.CurrentDepth == 1:
                        id = name = null;
                        break;
                    case JsonTokenType.EndObject when reader.CurrentDepth == 1:
                        if (id is not null && ContainerCgroups.IsId(id) && Sanitize(name) is { } clean)
                        {
                            names[id] = clean;
                        }

                        break;
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 2 && reader.ValueTextEquals("id"u8):
                        reader.Read();
                        id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                        break;
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 2 && reader.ValueTextEquals("names"u8):
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.StartArray && reader.Read() && reader.TokenType == JsonTokenType.String)
                        {
                            name = reader.GetString();
                        }

                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            names.Clear();
        }

        return names;
    }

    /// <summary>
    /// <paramref name="name"/> without Docker's leading "/", cut to <see cref="MaxNameChars"/>; null when empty or
    /// when it has a character outside the set Docker and Podman allow ([A-Za-z0-9_.-]), such as a control character.
    /// </summary>
    public static string? Sanitize(string? name)
    {
        if (name is null)
        {
            return null;
        }

        var trimmed = name.AsSpan().TrimStart('/');
        if (trimmed.IsEmpty)
        {
            return null;
        }

        foreach (var c in trimmed)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' or '-'))
            {
                return null;
            }
        }

        return ProcFile.Truncate(trimmed.ToString(), MaxNameChars);
    }

    private static byte[]? ReadCapped(string path, long maxBytes)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length <= maxBytes ? ProcFile.TryReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
