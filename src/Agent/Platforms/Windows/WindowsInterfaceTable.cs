using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SysMon.Agent.Collectors;

namespace SysMon.Agent.Platforms.Windows;

/// <summary>The MIB_IF_ROW2 fields the agent uses. Counters are octets and packets since the interface came up.</summary>
internal readonly record struct IfRow2(
    ulong Luid,
    uint Type,
    bool IsHardware,
    bool IsFilter,
    uint OperStatus,
    ulong InOctets, ulong InUnicastPackets, ulong InNonUnicastPackets, ulong InDiscards, ulong InErrors,
    ulong OutOctets, ulong OutUnicastPackets, ulong OutNonUnicastPackets, ulong OutDiscards, ulong OutErrors);

/// <summary>
/// Parsing of the MIB_IF_TABLE2 that GetIfTable2 returns, and which of its rows the agent reports.
/// Platform-neutral: the tests build tables by hand.
/// </summary>
internal static class WindowsInterfaceTable
{
    // MIB_IF_TABLE2 (netioapi.h): ULONG NumEntries @0, then MIB_IF_ROW2 Table[] at 8 (the rows are 8-aligned).
    internal const int TableRowsOffset = 8;

    // MIB_IF_ROW2 (netioapi.h; IF_MAX_STRING_SIZE = 256, IF_MAX_PHYS_ADDRESS_LENGTH = 32), 1352 bytes:
    //   NET_LUID InterfaceLuid                 @0
    //   NET_IFINDEX InterfaceIndex             @8
    //   GUID InterfaceGuid                     @12
    //   WCHAR Alias[257]                       @28
    //   WCHAR Description[257]                 @542
    //   ULONG PhysicalAddressLength            @1056
    //   UCHAR PhysicalAddress[32], PermanentPhysicalAddress[32] @1060, @1092
    //   ULONG Mtu                              @1124
    //   IFTYPE Type                            @1128
    //   TUNNEL_TYPE, NDIS_MEDIUM, NDIS_PHYSICAL_MEDIUM, ACCESS_TYPE, DIRECTION_TYPE @1132..1148
    //   InterfaceAndOperStatusFlags (bit 0 HardwareInterface, bit 1 FilterInterface, …) @1152
    //   IF_OPER_STATUS OperStatus              @1156
    //   NET_IF_ADMIN_STATUS, MEDIA_CONNECT_STATE, NetworkGuid, ConnectionType @1160..1184, padding to 1192
    //   ULONG64 TransmitLinkSpeed, ReceiveLinkSpeed @1192, @1200
    //   ULONG64 InOctets @1208, InUcastPkts @1216, InNUcastPkts @1224, InDiscards @1232, InErrors @1240,
    //     InUnknownProtos @1248, InUcastOctets, InMulticastOctets, InBroadcastOctets @1256..1272
    //   ULONG64 OutOctets @1280, OutUcastPkts @1288, OutNUcastPkts @1296, OutDiscards @1304, OutErrors @1312,
    //     OutUcastOctets, OutMulticastOctets, OutBroadcastOctets, OutQLen @1320..1344
    internal const int RowSize = 1352;
    internal const int LuidOffset = 0;
    internal const int AliasOffset = 28;
    internal const int AliasChars = 257;
    internal const int TypeOffset = 1128;
    internal const int FlagsOffset = 1152;
    internal const int OperStatusOffset = 1156;
    internal const int InOctetsOffset = 1208;
    internal const int InUcastPktsOffset = 1216;
    internal const int InNUcastPktsOffset = 1224;
    internal const int InDiscardsOffset = 1232;
    internal const int InErrorsOffset = 1240;
    internal const int OutOctetsOffset = 1280;
    internal const int OutUcastPktsOffset = 1288;
    internal const int OutNUcastPktsOffset = 1296;
    internal const int OutDiscardsOffset = 1304;
    internal const int OutErrorsOffset = 1312;

    internal const byte HardwareInterfaceFlag = 0x01;
    internal const byte FilterInterfaceFlag = 0x02;

    // IFTYPE values (ipifcons.h) and IF_OPER_STATUS IfOperStatusUp.
    internal const uint IfTypeSoftwareLoopback = 24;
    internal const uint IfTypeTunnel = 131;
    internal const uint OperStatusUp = 1;

    /// <summary>NumEntries of a MIB_IF_TABLE2, capped to the rows the buffer really holds.</summary>
    public static int RowCount(ReadOnlySpan<byte> table)
    {
        if (table.Length < TableRowsOffset)
        {
            return 0;
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(table);
        return (int)Math.Min(declared, (uint)((table.Length - TableRowsOffset) / RowSize));
    }

    /// <summary>The bytes of row <paramref name="index"/> of a MIB_IF_TABLE2.</summary>
    public static ReadOnlySpan<byte> Row(ReadOnlySpan<byte> table, int index) =>
        table.Slice(TableRowsOffset + (index * RowSize), RowSize);

    /// <summary>Reads the fields the agent uses from one MIB_IF_ROW2.</summary>
    public static IfRow2 ParseRow(ReadOnlySpan<byte> row)
    {
        var flags = row[FlagsOffset];
        return new IfRow2(
            Luid: BinaryPrimitives.ReadUInt64LittleEndian(row[LuidOffset..]),
            Type: BinaryPrimitives.ReadUInt32LittleEndian(row[TypeOffset..]),
            IsHardware: (flags & HardwareInterfaceFlag) != 0,
            IsFilter: (flags & FilterInterfaceFlag) != 0,
            OperStatus: BinaryPrimitives.ReadUInt32LittleEndian(row[OperStatusOffset..]),
            InOctets: Read(row, InOctetsOffset),
            InUnicastPackets: Read(row, InUcastPktsOffset),
            InNonUnicastPackets: Read(row, InNUcastPktsOffset),
            InDiscards: Read(row, InDiscardsOffset),
            InErrors: Read(row, InErrorsOffset),
            OutOctets: Read(row, OutOctetsOffset),
            OutUnicastPackets: Read(row, OutUcastPktsOffset),
            OutNonUnicastPackets: Read(row, OutNUcastPktsOffset),
            OutDiscards: Read(row, OutDiscardsOffset),
            OutErrors: Read(row, OutErrorsOffset));
    }

    /// <summary>The interface's alias ("Ethernet", "Wi-Fi"), up to its terminating NUL.</summary>
    public static ReadOnlySpan<char> AliasOf(ReadOnlySpan<byte> row)
    {
        var alias = MemoryMarshal.Cast<byte, char>(row.Slice(AliasOffset, AliasChars * sizeof(char)));
        var end = alias.IndexOf('\0');
        return end < 0 ? alias : alias[..end];
    }

    /// <summary>
    /// Whether a row is worth reporting. GetIfTable2 lists every layer of the stack: loopback, the NDIS filter
    /// layers stacked on each adapter (WFP, QoS, … with the adapter's own counters again), and a dozen idle
    /// software interfaces (WAN Miniports, Teredo, 6to4). Kept: hardware adapters, connected or not, and
    /// software adapters that are up and not tunnels (Hyper-V vEthernet, VPN adapters).
    /// </summary>
    public static bool IsReported(in IfRow2 row) =>
        row.Type != IfTypeSoftwareLoopback
        && !row.IsFilter
        && (row.IsHardware || (row.OperStatus == OperStatusUp && row.Type != IfTypeTunnel));

    /// <summary>
    /// The row as the counters the Linux collector uses: packets are unicast plus non-unicast, drops are the
    /// discards (packets dropped without an error, e.g. for lack of buffers).
    /// </summary>
    public static NetDevCounters ToCounters(string name, in IfRow2 row) =>
        new(name,
            RxBytes: row.InOctets,
            RxPackets: row.InUnicastPackets + row.InNonUnicastPackets,
            RxErrors: row.InErrors,
            RxDrops: row.InDiscards,
            TxBytes: row.OutOctets,
            TxPackets: row.OutUnicastPackets + row.OutNonUnicastPackets,
            TxErrors: row.OutErrors,
            TxDrops: row.OutDiscards);

    private static ulong Read(ReadOnlySpan<byte> row, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(row[offset..]);
}
