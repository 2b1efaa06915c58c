namespace SysMon.Agent.Collectors;

/// <summary>
/// Gives the same string for the same characters, looked up by span: device and interface names are read from
/// /proc every second and almost never change, so the steady state allocates none.
/// </summary>
/// <remarks>
/// Bounded: a host that churns names (containers' veth pairs) would otherwise grow it forever; past
/// <see cref="MaxNames"/> it starts over, which costs one allocation per name once. Not thread-safe.
/// </remarks>
internal sealed class NameCache
{
    internal const int MaxNames = 1024;

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public NameCache() => _lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>How many names are held.</summary>
    public int Count => _names.Count;

    /// <summary>The held string equal to <paramref name="name"/>, created and held when new.</summary>
    public string Get(ReadOnlySpan<char> name)
    {
        if (_lookup.TryGetValue(name, out var held))
        {
            return held;
        }

        if (_names.Count >= MaxNames)
        {
            _names.Clear();
        }

        held = name.ToString();
        _names.Add(held);
        return held;
    }
}
