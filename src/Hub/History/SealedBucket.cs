using System.IO.Compression;

namespace SysMon.Hub.History;

/// <summary>
/// The compressed form of a closed bucket: (start, point bytes) pairs, Brotli-compressed. Points of one
/// machine repeat their structure, device names and process names from step to step, which is what
/// makes history affordable to keep for a month (see docs/operations.md for the measured ratio).
/// </summary>
public static class SealedBucket
{
    public static byte[] Write(SortedDictionary<long, byte[]> points)
    {
        using var raw = new MemoryStream();
        using (var writer = new BinaryWriter(raw, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write7BitEncodedInt(points.Count);
            long previous = 0;
            foreach (var (start, value) in points)
            {
                writer.Write7BitEncodedInt64(start - previous); // deltas: a step, in a byte or two
                previous = start;
                writer.Write7BitEncodedInt(value.Length);
                writer.Write(value);
            }
        }
        using var compressed = new MemoryStream();
        using (var brotli = new BrotliStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            brotli.Write(raw.GetBuffer(), 0, (int)raw.Length);
        }
        return compressed.ToArray();
    }

    public static Dictionary<long, byte[]> Read(byte[] blob)
    {
        using var brotli = new BrotliStream(new MemoryStream(blob), CompressionMode.Decompress);
        using var reader = new BinaryReader(brotli);
        var count = reader.Read7BitEncodedInt();
        var points = new Dictionary<long, byte[]>(count);
        long start = 0;
        for (var i = 0; i < count; i++)
        {
            start += reader.Read7BitEncodedInt64();
            points[start] = reader.ReadBytes(reader.Read7BitEncodedInt());
        }
        return points;
    }
}
