using System.Runtime.InteropServices;

namespace SysMon.Agent.Native;

/// <summary>
/// open/pread/close and readdir straight from libc, for procfs and sysfs on Linux.
/// </summary>
/// <remarks>
/// A FileStream costs open, fstat, flock, two preads, close and four allocations per file; the agent reads one
/// file per process every second, so on a host with 500 processes that was most of its CPU time (perf, see
/// bench/README.md). These calls do only open, read until EOF, close, into a buffer the caller keeps.
/// </remarks>
internal static unsafe partial class RawFile
{
    private const string Library = "libc";
    private const int ReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC on x86-64 and arm64
    private const int Interrupted = 4;               // EINTR

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte* path, int flags);

    [LibraryImport(Library, EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Library, EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "opendir", SetLastError = true)]
    private static partial nint OpenDir(byte* path);

    [LibraryImport(Library, EntryPoint = "readdir")]
    private static partial byte* ReadDir(nint directory);

    [LibraryImport(Library, EntryPoint = "closedir")]
    private static partial int CloseDir(nint directory);

    /// <summary>
    /// Reads the whole file at <paramref name="path"/> (UTF-8, NUL-terminated) into <paramref name="buffer"/>,
    /// growing it when the file does not fit. Returns the byte count, or -1 when the file cannot be opened or read.
    /// </summary>
    public static int ReadAll(ReadOnlySpan<byte> path, ref byte[] buffer)
    {
        var fd = OpenReadOnly(path);
        if (fd < 0)
        {
            return -1;
        }

        try
        {
            return ReadFromStart(fd, ref buffer, shortReadIsEnd: false);
        }
        finally
        {
            CloseFile(fd);
        }
    }

    /// <summary>Opens <paramref name="path"/> (UTF-8, NUL-terminated) read-only and close-on-exec; -1 on failure.</summary>
    public static int OpenReadOnly(ReadOnlySpan<byte> path)
    {
        int fd;
        fixed (byte* p = path)
        {
            do
            {
                fd = Open(p, ReadOnlyCloseOnExec);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == Interrupted);
        }

        return fd;
    }

    /// <summary>Closes a descriptor from <see cref="OpenReadOnly"/>.</summary>
    public static void CloseFile(int fd) => Close(fd);

    /// <summary>
    /// Reads an open file from offset 0 (pread, so the descriptor can be kept and read again next sample: procfs
    /// and sysfs regenerate their text on every read from the start) into <paramref name="buffer"/>, growing it.
    /// Returns the byte count, or -1 on a read error (for /proc/PID files: the process has gone).
    /// </summary>
    /// <param name="shortReadIsEnd">
    /// True for files whose whole text one read returns when the buffer is big enough (regular files and the
    /// single-record seq_files /proc/PID/stat, status and cmdline): a short read is then the end, which saves the
    /// second read that would return 0. Multi-record seq_files (/proc/net/dev, /proc/stat) may return short reads
    /// before their end and must pass false.
    /// </param>
    public static int ReadFromStart(int fd, ref byte[] buffer, bool shortReadIsEnd)
    {
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            nint read;
            var wanted = buffer.Length - total;
            fixed (byte* b = buffer)
            {
                read = PRead(fd, b + total, (nuint)wanted, total);
            }

            if (read < 0)
            {
                if (Marshal.GetLastPInvokeError() == Interrupted)
                {
                    continue;
                }

                return -1;
            }

            total += (int)read;
            if (read == 0 || (shortReadIsEnd && read < wanted))
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="onEntry"/> with the name of every entry of the directory at <paramref name="path"/>
    /// (UTF-8, NUL-terminated), without allocating; false when the directory cannot be opened.
    /// </summary>
    public static bool ForEachEntry<TState>(ReadOnlySpan<byte> path, ref TState state, DirectoryEntryAction<TState> onEntry)
        where TState : allows ref struct
    {
        nint directory;
        fixed (byte* p = path)
        {
            directory = OpenDir(p);
        }

        if (directory == 0)
        {
            return false;
        }

        try
        {
            byte* entry;
            while ((entry = ReadDir(directory)) != null)
            {
                // struct dirent (64-bit glibc and musl): d_ino (8), d_off (8), d_reclen (2), d_type (1), then d_name, NUL-terminated.
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + 19);
                onEntry(name, ref state);
            }

            return true;
        }
        finally
        {
            CloseDir(directory);
        }
    }
}

/// <summary>Receives one directory entry's name (bytes, valid only during the call).</summary>
internal delegate void DirectoryEntryAction<TState>(ReadOnlySpan<byte> name, ref TState state)
    where TState : allows ref struct;
