using System.Text;
using SysMon.Agent.Native;

namespace SysMon.Agent.Collectors;

/// <summary>
/// Reads procfs and sysfs files into buffers it keeps, so a collector's steady-state reading allocates nothing.
/// One per collector: not thread-safe, and a returned span is valid only until the next read.
/// </summary>
internal sealed class ProcReader
{
    private byte[] _bytes = new byte[4096];
    private char[] _chars = new char[4096];
    private byte[] _path = new byte[256];

    /// <summary>Reads <paramref name="path"/> as UTF-8 text (invalid bytes become U+FFFD); false when unreadable.</summary>
    public bool TryReadText(string path, out ReadOnlySpan<char> text) => AsText(TryReadBytes(path, out var bytes), bytes, out text);

    /// <summary>Reads <paramref name="path"/> as text, or throws the IOException a collector reports.</summary>
    public ReadOnlySpan<char> ReadText(string path) =>
        TryReadText(path, out var text) ? text : throw new IOException($"Cannot read {path}.");

    /// <summary>Reads <paramref name="path"/> as bytes; false when unreadable.</summary>
    public bool TryReadBytes(string path, out ReadOnlySpan<byte> bytes) => TryReadBytes(Encode(path), out bytes);

    /// <summary>Reads the file at a NUL-terminated UTF-8 <paramref name="path"/>; false when unreadable.</summary>
    public bool TryReadBytes(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> bytes)
    {
        var count = RawFile.ReadAll(path, ref _bytes);
        bytes = count >= 0 ? _bytes.AsSpan(0, count) : default;
        return count >= 0;
    }

    /// <summary>Reads the file at a NUL-terminated UTF-8 <paramref name="path"/> as text; false when unreadable.</summary>
    public bool TryReadText(ReadOnlySpan<byte> path, out ReadOnlySpan<char> text) => AsText(TryReadBytes(path, out var bytes), bytes, out text);

    /// <summary>
    /// Reads <paramref name="file"/> of process <paramref name="pid"/> through the descriptors <paramref name="files"/>
    /// keeps open (<paramref name="path"/> is opened only when none is); false when the process is gone.
    /// </summary>
    public bool TryReadBytes(ProcessFiles files, int pid, ProcessFile file, ReadOnlySpan<byte> path, out ReadOnlySpan<byte> bytes)
    {
        var count = files.Read(pid, file, path, ref _bytes);
        bytes = count >= 0 ? _bytes.AsSpan(0, count) : default;
        return count >= 0;
    }

    /// <inheritdoc cref="TryReadBytes(ProcessFiles, int, ProcessFile, ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/>
    public bool TryReadText(ProcessFiles files, int pid, ProcessFile file, ReadOnlySpan<byte> path, out ReadOnlySpan<char> text) =>
        AsText(TryReadBytes(files, pid, file, path, out var bytes), bytes, out text);

    /// <summary><paramref name="path"/> as NUL-terminated UTF-8, in a buffer valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(string path)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        if (_path.Length < needed)
        {
            _path = new byte[needed];
        }

        var length = Encoding.UTF8.GetBytes(path, _path);
        _path[length] = 0;
        return _path.AsSpan(0, length + 1);
    }

    private bool AsText(bool read, ReadOnlySpan<byte> bytes, out ReadOnlySpan<char> text)
    {
        text = read ? Decode(bytes) : default;
        return read;
    }

    /// <summary><paramref name="bytes"/> as UTF-8 text, in this reader's buffer (valid until the next call).</summary>
    private ReadOnlySpan<char> Decode(ReadOnlySpan<byte> bytes)
    {
        if (_chars.Length < bytes.Length)
        {
            _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        }

        var count = Encoding.UTF8.GetChars(bytes, _chars);
        return _chars.AsSpan(0, count);
    }

    /// <summary>A path's NUL-terminated UTF-8 bytes, for paths a collector opens every sample.</summary>
    public static byte[] NullTerminated(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
