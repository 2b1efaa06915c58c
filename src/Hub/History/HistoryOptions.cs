namespace SysMon.Hub.History;

/// <summary>
/// Retention of history, bound from the <c>History</c> section. Three tiers: every sample for a short
/// window, then averages (with min/max of CPU and memory) over coarser steps for longer windows.
/// </summary>
public sealed class HistoryOptions
{
    public const string SectionName = "History";

    /// <summary>How long every sample (1 s resolution) is kept, seconds. Default 15 minutes.</summary>
    public int RawRetentionSeconds { get; set; } = 15 * 60;

    /// <summary>Step of the medium tier, seconds. Default 10 s.</summary>
    public int MediumStepSeconds { get; set; } = 10;

    /// <summary>How long the medium tier is kept, seconds. Default 24 hours.</summary>
    public int MediumRetentionSeconds { get; set; } = 24 * 3600;

    /// <summary>Step of the coarse tier, seconds; a multiple of the medium step. Default 1 minute.</summary>
    public int CoarseStepSeconds { get; set; } = 60;

    /// <summary>How long the coarse tier and the per-minute process snapshots are kept, seconds. Default 30 days.</summary>
    public int CoarseRetentionSeconds { get; set; } = 30 * 24 * 3600;

    /// <summary>One snapshot of the top processes is kept per this many seconds. Default 60.</summary>
    public int ProcessSnapshotSeconds { get; set; } = 60;

    public HistoryTier Raw => new("raw", 1, RawRetentionSeconds);
    public HistoryTier Medium => new("medium", MediumStepSeconds, MediumRetentionSeconds);
    public HistoryTier Coarse => new("coarse", CoarseStepSeconds, CoarseRetentionSeconds);

    /// <summary>Process snapshots are stored like a tier: one point per <see cref="ProcessSnapshotSeconds"/>, kept as long as the coarse tier.</summary>
    public HistoryTier Processes => new("processes", ProcessSnapshotSeconds, CoarseRetentionSeconds);

    /// <summary>Finest first.</summary>
    public IReadOnlyList<HistoryTier> Tiers => [Raw, Medium, Coarse];

    /// <summary>Why these settings cannot work, or null.</summary>
    public string? Validate()
    {
        if (RawRetentionSeconds < 60 || MediumStepSeconds < 2 || CoarseStepSeconds < MediumStepSeconds)
        {
            return "History: RawRetentionSeconds >= 60, MediumStepSeconds >= 2 and CoarseStepSeconds >= MediumStepSeconds are required.";
        }
        if (CoarseStepSeconds % MediumStepSeconds != 0 || 3600 % MediumStepSeconds != 0)
        {
            return "History: MediumStepSeconds must divide 3600 and CoarseStepSeconds.";
        }
        if (MediumRetentionSeconds < RawRetentionSeconds || CoarseRetentionSeconds < MediumRetentionSeconds)
        {
            return "History: each tier must be kept at least as long as the finer one.";
        }
        return ProcessSnapshotSeconds < 10 ? "History: ProcessSnapshotSeconds must be at least 10." : null;
    }
}

/// <summary>One resolution of history: a point per <paramref name="StepSeconds"/>, kept <paramref name="RetentionSeconds"/>.</summary>
public sealed record HistoryTier(string Name, int StepSeconds, int RetentionSeconds)
{
    /// <summary>Points of a tier are grouped into buckets of this many points (one Redis hash each), so old ones expire whole.</summary>
    public const int PointsPerBucket = 360;

    public long BucketSeconds => (long)StepSeconds * PointsPerBucket;

    /// <summary>Start of the point (step) containing <paramref name="unixSeconds"/>.</summary>
    public long PointStart(long unixSeconds) => unixSeconds - Mod(unixSeconds, StepSeconds);

    /// <summary>Start of the bucket containing <paramref name="unixSeconds"/>.</summary>
    public long BucketStart(long unixSeconds) => unixSeconds - Mod(unixSeconds, BucketSeconds);

    private static long Mod(long value, long divisor) => ((value % divisor) + divisor) % divisor;
}
