using System.Buffers.Binary;
using System.Globalization;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>
/// Pure helpers behind the Windows hello and filesystem list: drive-string lists, version names and the
/// processor topology buffer. Platform-neutral, so they are tested on any OS.
/// </summary>
internal static class WindowsHostFacts
{
    // SYSTEM_LOGICAL_PROCESSOR_INFORMATION_EX (winnt.h): LOGICAL_PROCESSOR_RELATIONSHIP Relationship @0,
    // DWORD Size @4 (of this whole variable-length record), then the union.
    internal const int RelationshipOffset = 0;
    internal const int RecordSizeOffset = 4;
    internal const int RecordHeaderSize = 8;
    internal const uint RelationProcessorCore = 0;

    /// <summary>First build number of Windows 11 (and Server 2022's successors share the 10.0 version).</summary>
    internal const int Windows11FirstBuild = 22000;

    /// <summary>
    /// Splits GetLogicalDriveStringsW's output ("C:\\\0D:\\\0\0") into drive roots, in order.
    /// </summary>
    public static List<string> ParseDriveStrings(ReadOnlySpan<char> text)
    {
        var roots = new List<string>();
        while (!text.IsEmpty)
        {
            var end = text.IndexOf('\0');
            var root = end < 0 ? text : text[..end];
            if (root.IsEmpty)
            {
                break;
            }

            roots.Add(root.ToString());
            text = end < 0 ? default : text[(end + 1)..];
        }

        return roots;
    }

    /// <summary>
    /// Counts RelationProcessorCore records in a GetLogicalProcessorInformationEx(RelationProcessorCore) buffer:
    /// one per physical core. A record whose Size would run past the buffer ends the count.
    /// </summary>
    public static uint CountProcessorCores(ReadOnlySpan<byte> buffer)
    {
        uint cores = 0;
        var offset = 0;
        while (offset + RecordHeaderSize <= buffer.Length)
        {
            var relationship = BinaryPrimitives.ReadUInt32LittleEndian(buffer[(offset + RelationshipOffset)..]);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(buffer[(offset + RecordSizeOffset)..]);
            if (size < RecordHeaderSize || size > (uint)(buffer.Length - offset))
            {
                break;
            }

            if (relationship == RelationProcessorCore)
            {
                cores++;
            }

            offset += (int)size;
        }

        return cores;
    }

    /// <summary>
    /// The product name as users know it. Windows 11 kept "Windows 10" in the registry's ProductName, so from
    /// build 22000 on a client name is corrected to "Windows 11" (Server names are left alone).
    /// </summary>
    public static string ProductName(string? registryProductName, int build)
    {
        var name = string.IsNullOrWhiteSpace(registryProductName) ? "Windows" : registryProductName.Trim();
        return build >= Windows11FirstBuild && name.StartsWith("Windows 10", StringComparison.Ordinal)
            ? string.Concat("Windows 11", name.AsSpan("Windows 10".Length))
            : name;
    }

    /// <summary>
    /// The OS version: the feature release ("23H2", from DisplayVersion or the older ReleaseId) and the build,
    /// e.g. "23H2 (build 22631.3007)"; just the build when the release is unknown.
    /// </summary>
    public static string OsVersion(string? displayVersion, int build, int revision)
    {
        var buildText = revision > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{build}.{revision}")
            : build.ToString(CultureInfo.InvariantCulture);
        return string.IsNullOrWhiteSpace(displayVersion)
            ? "build " + buildText
            : string.Concat(displayVersion.Trim(), " (build ", buildText, ")");
    }

    /// <summary>The NT kernel version with the build and update revision (UBR): "10.0.22631.3007".</summary>
    public static string KernelVersion(int major, int minor, int build, int revision) =>
        revision > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}.{build}.{revision}")
            : string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}.{build}");
}
