using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using SysMon.Agent.Collectors;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// One process from a SystemProcessInformation buffer. Times are 100-ns ticks; the image name stays in the
/// buffer (<see cref="NameOffset"/>, <see cref="NameBytes"/>) so walking the list allocates nothing.
/// </summary>
internal readonly record struct WindowsProcessRecord(
    int Pid,
    long CreateTime,
    ulong UserTicks,
    ulong KernelTicks,
    ulong WorkingSetBytes,
    uint Threads,
    char State,
    int NameOffset,
    int NameBytes)
{
    /// <summary>CPU time in user and kernel mode together.</summary>
    public ulong BusyTicks => UserTicks + KernelTicks;
}

/// <summary>
/// Parsing of NtQuerySystemInformation(SystemProcessInformation) buffers and of the UNICODE_STRING that
/// NtQueryInformationProcess(ProcessCommandLineInformation) returns. 64-bit layouts (x64 and arm64), from
/// ntexapi.h / winternl.h. Platform-neutral: the tests build the buffers by hand.
/// </summary>
/// <remarks>
/// Pointers inside these buffers (UNICODE_STRING.Buffer) point into the buffer itself, so the parser is given
/// the buffer's address and turns each pointer back into an offset, refusing any that fall outside.
/// </remarks>
internal static class WindowsProcessList
{
    // SYSTEM_PROCESS_INFORMATION, 64-bit:
    //   ULONG NextEntryOffset                 @0x00 (0 on the last entry)
    //   ULONG NumberOfThreads                 @0x04
    //   LARGE_INTEGER WorkingSetPrivateSize   @0x08
    //   ULONG HardFaultCount, NumberOfThreadsHighWatermark @0x10, @0x14
    //   ULONGLONG CycleTime                   @0x18
    //   LARGE_INTEGER CreateTime              @0x20 (FILETIME)
    //   LARGE_INTEGER UserTime                @0x28
    //   LARGE_INTEGER KernelTime              @0x30
    //   UNICODE_STRING ImageName              @0x38 (USHORT Length, USHORT MaximumLength, pad, PWSTR Buffer @0x40)
    //   KPRIORITY BasePriority                @0x48
    //   HANDLE UniqueProcessId                @0x50
    //   HANDLE InheritedFromUniqueProcessId   @0x58
    //   ULONG HandleCount, SessionId          @0x60, @0x64
    //   ULONG_PTR UniqueProcessKey            @0x68
    //   SIZE_T PeakVirtualSize, VirtualSize   @0x70, @0x78
    //   ULONG PageFaultCount                  @0x80
    //   SIZE_T PeakWorkingSetSize             @0x88
    //   SIZE_T WorkingSetSize                 @0x90
    //   … pool, pagefile and I/O counters up to 0x100, then NumberOfThreads SYSTEM_THREAD_INFORMATION records.
    internal const int NextEntryOffsetOffset = 0x00;
    internal const int NumberOfThreadsOffset = 0x04;
    internal const int CreateTimeOffset = 0x20;
    internal const int UserTimeOffset = 0x28;
    internal const int KernelTimeOffset = 0x30;
    internal const int ImageNameOffset = 0x38;
    internal const int UniqueProcessIdOffset = 0x50;
    internal const int WorkingSetSizeOffset = 0x90;
    internal const int ProcessInformationSize = 0x100;

    // SYSTEM_THREAD_INFORMATION, 64-bit: KernelTime @0x00, UserTime @0x08, CreateTime @0x10, WaitTime @0x18,
    // StartAddress @0x20, CLIENT_ID @0x28, Priority @0x38, BasePriority @0x3C, ContextSwitches @0x40,
    // KTHREAD_STATE ThreadState @0x44, KWAIT_REASON WaitReason @0x48; 0x50 bytes.
    internal const int ThreadInformationSize = 0x50;
    internal const int ThreadStateOffset = 0x44;
    internal const int WaitReasonOffset = 0x48;

    // UNICODE_STRING, 64-bit: USHORT Length (bytes, no terminator) @0, USHORT MaximumLength @2, PWSTR Buffer @8.
    internal const int UnicodeStringLengthOffset = 0;
    internal const int UnicodeStringBufferOffset = 8;
    internal const int UnicodeStringSize = 16;

    // KTHREAD_STATE values that mean "on a CPU or about to be": Ready, Running, Standby, DeferredReady.
    internal const uint ThreadReady = 1;
    internal const uint ThreadRunning = 2;
    internal const uint ThreadStandby = 3;
    internal const uint ThreadWaiting = 5;
    internal const uint ThreadDeferredReady = 7;

    // KWAIT_REASON Suspended: a thread held by SuspendThread (or a suspended UWP app).
    internal const uint WaitReasonSuspended = 5;

    /// <summary>
    /// Walks a SystemProcessInformation buffer into <paramref name="processes"/> (cleared first). The System Idle
    /// Process (pid 0) is left out: its "CPU time" is the machine's idle time. A malformed chain (an offset
    /// past the end, or one that does not move forward) ends the walk instead of throwing.
    /// </summary>
    /// <param name="buffer">The bytes NtQuerySystemInformation wrote.</param>
    /// <param name="bufferAddress">Where <paramref name="buffer"/> lies in memory, to resolve the name pointers.</param>
    /// <param name="processes">Receives one record per process.</param>
    public static void Parse(ReadOnlySpan<byte> buffer, ulong bufferAddress, List<WindowsProcessRecord> processes)
    {
        processes.Clear();
        var offset = 0;
        while (offset >= 0 && offset + ProcessInformationSize <= buffer.Length)
        {
            var next = BinaryPrimitives.ReadUInt32LittleEndian(buffer[(offset + NextEntryOffsetOffset)..]);
            // An entry's thread records end where the next entry begins.
            var entry = next >= ProcessInformationSize && next <= buffer.Length - offset
                ? buffer.Slice(offset, (int)next)
                : buffer[offset..];
            var threads = BinaryPrimitives.ReadUInt32LittleEndian(entry[NumberOfThreadsOffset..]);
            var pid = BinaryPrimitives.ReadInt64LittleEndian(entry[UniqueProcessIdOffset..]);
            if (pid is > 0 and <= int.MaxValue)
            {
                var (nameOffset, nameBytes) = ResolveUnicodeString(buffer, bufferAddress, offset + ImageNameOffset);
                processes.Add(new WindowsProcessRecord(
                    Pid: (int)pid,
                    CreateTime: BinaryPrimitives.ReadInt64LittleEndian(entry[CreateTimeOffset..]),
                    UserTicks: ReadTicks(entry, UserTimeOffset),
                    KernelTicks: ReadTicks(entry, KernelTimeOffset),
                    WorkingSetBytes: BinaryPrimitives.ReadUInt64LittleEndian(entry[WorkingSetSizeOffset..]),
                    Threads: threads,
                    State: StateOf(entry, threads),
                    NameOffset: nameOffset,
                    NameBytes: nameBytes));
            }

            if (next == 0 || next > int.MaxValue - offset)
            {
                break;
            }

            offset += (int)next;
        }
    }

    /// <summary>The image name of <paramref name="process"/> as UTF-16 inside <paramref name="buffer"/>; empty when it has none.</summary>
    public static ReadOnlySpan<char> NameOf(ReadOnlySpan<byte> buffer, in WindowsProcessRecord process) =>
        process.NameBytes == 0
            ? default
            : MemoryMarshal.Cast<byte, char>(buffer.Slice(process.NameOffset, process.NameBytes));

    /// <summary>
    /// The text of the UNICODE_STRING at the start of a ProcessCommandLineInformation buffer (its Buffer points
    /// just behind it, into the same allocation); empty when the pointer or length is out of range.
    /// </summary>
    public static ReadOnlySpan<char> ParseCommandLine(ReadOnlySpan<byte> buffer, ulong bufferAddress)
    {
        if (buffer.Length < UnicodeStringSize)
        {
            return default;
        }

        var (offset, length) = ResolveUnicodeString(buffer, bufferAddress, 0);
        return length == 0 ? default : MemoryMarshal.Cast<byte, char>(buffer.Slice(offset, length));
    }

    /// <summary>
    /// A command line as the wire carries it: at most 256 chars, control characters as spaces; a process whose
    /// command line cannot be read (access denied, or none) shows as "[name]", like a kernel thread in ps.
    /// </summary>
    public static string FormatCommandLine(ReadOnlySpan<char> commandLine, string name)
    {
        var trimmed = commandLine.TrimEnd('\0').Trim();
        if (trimmed.IsEmpty)
        {
            return ProcFile.Truncate("[" + name + "]", ProcessCollector.MaxCommandLineChars);
        }

        var cut = Math.Min(trimmed.Length, ProcessCollector.MaxCommandLineChars);
        // Never split a surrogate pair.
        if (cut < trimmed.Length && char.IsHighSurrogate(trimmed[cut - 1]))
        {
            cut--;
        }

        var text = trimmed[..cut];
        var result = new string(text);
        return text.ContainsAnyInRange('\0', '\u001f') || text.ContainsAnyInRange('\u007f', '\u009f')
            ? string.Create(result.Length, result, static (chars, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    chars[i] = char.IsControl(source[i]) ? ' ' : source[i];
                }
            })
            : result;
    }

    /// <summary>
    /// A binary SID as its string form ("S-1-5-18"), for owners whose account name cannot be looked up
    /// (like the uid as text on Linux). Empty when the bytes are not a SID.
    /// </summary>
    /// <remarks>SID layout (winnt.h): BYTE Revision, BYTE SubAuthorityCount, BYTE IdentifierAuthority[6]
    /// (big-endian), DWORD SubAuthority[SubAuthorityCount] (little-endian).</remarks>
    public static string FormatSid(ReadOnlySpan<byte> sid)
    {
        if (sid.Length < 8 || sid.Length < 8 + (4 * sid[1]))
        {
            return string.Empty;
        }

        ulong authority = 0;
        for (var i = 2; i < 8; i++)
        {
            authority = (authority << 8) | sid[i];
        }

        var builder = new System.Text.StringBuilder("S-", 64);
        builder.Append(sid[0].ToString(CultureInfo.InvariantCulture)).Append('-')
            .Append(authority.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < sid[1]; i++)
        {
            builder.Append('-').Append(BinaryPrimitives.ReadUInt32LittleEndian(sid[(8 + (4 * i))..]).ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Length in bytes of the SID at the start of <paramref name="sid"/> (8 + 4 per sub-authority); 0 when too short.</summary>
    public static int SidLength(ReadOnlySpan<byte> sid) =>
        sid.Length >= 2 && sid.Length >= 8 + (4 * sid[1]) ? 8 + (4 * sid[1]) : 0;

    /// <summary>
    /// A one-letter state like /proc's: R when a thread is ready or running, T when every thread is suspended,
    /// Z when no thread is left (an exited process still held open by a handle), S otherwise.
    /// </summary>
    internal static char StateOf(ReadOnlySpan<byte> entry, uint threads)
    {
        if (threads == 0)
        {
            return 'Z';
        }

        var available = (entry.Length - ProcessInformationSize) / ThreadInformationSize;
        var count = (int)Math.Min(threads, (uint)Math.Max(0, available));
        var suspended = 0;
        for (var i = 0; i < count; i++)
        {
            var thread = entry.Slice(ProcessInformationSize + (i * ThreadInformationSize), ThreadInformationSize);
            var state = BinaryPrimitives.ReadUInt32LittleEndian(thread[ThreadStateOffset..]);
            if (state is ThreadReady or ThreadRunning or ThreadStandby or ThreadDeferredReady)
            {
                return 'R';
            }

            if (state == ThreadWaiting
                && BinaryPrimitives.ReadUInt32LittleEndian(thread[WaitReasonOffset..]) == WaitReasonSuspended)
            {
                suspended++;
            }
        }

        return count > 0 && suspended == count ? 'T' : 'S';
    }

    /// <summary>Offset and byte length of the text of the UNICODE_STRING at <paramref name="at"/>; (0, 0) when invalid.</summary>
    private static (int Offset, int Length) ResolveUnicodeString(ReadOnlySpan<byte> buffer, ulong bufferAddress, int at)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(buffer[(at + UnicodeStringLengthOffset)..]) & ~1;
        var pointer = BinaryPrimitives.ReadUInt64LittleEndian(buffer[(at + UnicodeStringBufferOffset)..]);
        if (length == 0 || pointer < bufferAddress)
        {
            return (0, 0);
        }

        var offset = pointer - bufferAddress;
        // Odd offsets cannot hold UTF-16; ranges past the end would read someone else's memory.
        return offset % 2 == 0 && offset + (ulong)length <= (ulong)buffer.Length ? ((int)offset, length) : (0, 0);
    }

    private static ulong ReadTicks(ReadOnlySpan<byte> entry, int offset) =>
        (ulong)Math.Max(0, BinaryPrimitives.ReadInt64LittleEndian(entry[offset..]));
}
