using System.Runtime.InteropServices;

namespace SysMon.Agent.Collectors;

/// <summary>What identifies a process's network namespace, as far as the agent can see it.</summary>
/// <param name="Link">The target of /proc/PID/ns/net ("net:[4026531840]"); null when unreadable (it needs
/// ptrace access to the process: root, or CAP_SYS_PTRACE).</param>
/// <param name="NetDevInode">The inode of /proc/PID/net/dev, which procfs creates once per network namespace and
/// anyone may stat; 0 when unknown.</param>
internal readonly record struct NetworkNamespaceId(string? Link, ulong NetDevInode)
{
    /// <summary>Whether nothing is known about the namespace.</summary>
    public bool IsUnknown => Link is null && NetDevInode == 0;

    /// <summary>
    /// Whether two processes share a network namespace: compared by link when both links are known, otherwise by
    /// the net/dev inode; null when neither can be compared.
    /// </summary>
    public static bool? Same(in NetworkNamespaceId a, in NetworkNamespaceId b)
    {
        if (a.Link is not null && b.Link is not null)
        {
            return string.Equals(a.Link, b.Link, StringComparison.Ordinal);
        }

        if (a.NetDevInode != 0 && b.NetDevInode != 0)
        {
            return a.NetDevInode == b.NetDevInode;
        }

        return null;
    }
}

/// <summary>Reads a process's <see cref="NetworkNamespaceId"/> (Linux).</summary>
internal static unsafe partial class NetworkNamespaces
{
    private const string Library = "libc";
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;
    private const int StatxInoOffset = 32; // struct statx: mask, blksize, attributes, nlink, uid, gid, mode (+pad), ino

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);

    private static bool s_statxMissing;

    /// <summary>The namespace of the process whose procfs folder is <paramref name="procPidFolder"/> ("/proc/1234").</summary>
    public static NetworkNamespaceId Read(string procPidFolder) =>
        new(ReadLink(Path.Join(procPidFolder, "ns/net")), ReadInode(Path.Join(procPidFolder, "net/dev")));

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ulong ReadInode(string path)
    {
        // statx has one layout on every architecture (glibc 2.28+, musl 1.2.5+); older C libraries go without.
        if (s_statxMissing)
        {
            return 0;
        }

        try
        {
            var buffer = stackalloc byte[256];
            return Statx(AtFdCwd, path, 0, StatxIno, buffer) == 0 && (*(uint*)buffer & StatxIno) != 0
                ? *(ulong*)(buffer + StatxInoOffset)
                : 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_statxMissing = true;
            return 0;
        }
    }
}
