namespace SysMon.Agent.Collectors;

/// <summary>A container's cgroup found in a walk of the hierarchy.</summary>
/// <param name="FullId">The runtime's 64-hex id.</param>
/// <param name="Runtime">"docker", "containerd", "podman", "crio", or "" when the layout does not say.</param>
/// <param name="RelativePath">The cgroup's path below the hierarchy root ("system.slice/docker-….scope").</param>
internal readonly record struct ContainerCgroup(string FullId, string Runtime, string RelativePath);

/// <summary>Which cgroup folders are containers, from their names (pure; the collector walks the tree).</summary>
/// <remarks>
/// The systemd cgroup driver names a container's cgroup <c>&lt;prefix&gt;-&lt;64 hex&gt;.scope</c>:
/// <c>docker-</c>, <c>cri-containerd-</c> (Kubernetes on containerd), <c>libpod-</c> (Podman), <c>crio-</c> (CRI-O).
/// The cgroupfs driver names it by the bare id under <c>/docker</c>, <c>/kubepods/…</c> or
/// <c>/machine.slice/libpod-…</c> parents. Runtime helpers (<c>libpod-conmon-…</c>, <c>crio-conmon-…</c>) have no
/// bare id after the prefix and are not containers.
/// </remarks>
internal static class ContainerCgroups
{
    public const int IdLength = 64;
    public const int ShortIdLength = 12;

    private static readonly (string Prefix, string Runtime)[] s_scopePrefixes =
    [
        ("cri-containerd-", "containerd"),
        ("docker-", "docker"),
        ("libpod-", "podman"),
        ("crio-", "crio"),
    ];

    /// <summary>
    /// Whether the cgroup folder <paramref name="name"/>, below <paramref name="parentPath"/> (relative to the
    /// hierarchy root, "" at the top), is a container's; gives its full id and runtime.
    /// </summary>
    public static bool TryMatch(ReadOnlySpan<char> name, ReadOnlySpan<char> parentPath, out string fullId, out string runtime)
    {
        fullId = string.Empty;
        runtime = string.Empty;
        var stem = name.EndsWith(".scope") ? name[..^".scope".Length] : name;
        foreach (var (prefix, prefixRuntime) in s_scopePrefixes)
        {
            if (stem.StartsWith(prefix) && IsId(stem[prefix.Length..]))
            {
                fullId = stem[prefix.Length..].ToString();
                runtime = prefixRuntime;
                return true;
            }
        }

        if (!IsId(stem))
        {
            return false;
        }

        fullId = stem.ToString();
        runtime = RuntimeFromParents(parentPath);
        return true;
    }

    /// <summary>The 12-character id <c>docker ps</c> shows.</summary>
    public static string ShortId(string fullId) => fullId.Length > ShortIdLength ? fullId[..ShortIdLength] : fullId;

    /// <summary>Whether <paramref name="text"/> is a 64-character lowercase hex id.</summary>
    public static bool IsId(ReadOnlySpan<char> text)
    {
        if (text.Length != IdLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    // cgroupfs driver: the runtime is named by a parent folder. Kubernetes' kubepods tree does not say which
    // runtime it uses, so those stay "".
    private static string RuntimeFromParents(ReadOnlySpan<char> parentPath)
    {
        foreach (var range in parentPath.Split('/'))
        {
            var segment = parentPath[range];
            if (segment.SequenceEqual("docker"))
            {
                return "docker";
            }

            if (segment.StartsWith("libpod"))
            {
                return "podman";
            }
        }

        return string.Empty;
    }
}
