using SysMon.Agent.Collectors;
using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

public class WindowsInterfaceTableTests
{
    private sealed record Row(
        ulong Luid, string Alias, uint Type, byte Flags, uint OperStatus,
        ulong InOctets = 0, ulong InUcast = 0, ulong InNUcast = 0, ulong InDiscards = 0, ulong InErrors = 0,
        ulong OutOctets = 0, ulong OutUcast = 0, ulong OutNUcast = 0, ulong OutDiscards = 0, ulong OutErrors = 0);

    private const uint Ethernet = 6;
    private const uint Wireless = 71;
    private const byte Hardware = WindowsInterfaceTable.HardwareInterfaceFlag;
    private const byte Filter = WindowsInterfaceTable.FilterInterfaceFlag;
    private const uint Up = WindowsInterfaceTable.OperStatusUp;
    private const uint Down = 2;

    /// <summary>A MIB_IF_TABLE2 as GetIfTable2 returns it.</summary>
    private static byte[] Table(params Row[] rows)
    {
        var bytes = new Bytes(WindowsInterfaceTable.TableRowsOffset + (rows.Length * WindowsInterfaceTable.RowSize)).U32(0, (uint)rows.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            var at = WindowsInterfaceTable.TableRowsOffset + (i * WindowsInterfaceTable.RowSize);
            var r = rows[i];
            bytes.U64(at + WindowsInterfaceTable.LuidOffset, r.Luid)
                .Utf16(at + WindowsInterfaceTable.AliasOffset, r.Alias)
                // The description follows the alias; it must not leak into the name.
                .Utf16(at + WindowsInterfaceTable.AliasOffset + 514, "Intel(R) Ethernet Connection")
                .U32(at + WindowsInterfaceTable.TypeOffset, r.Type)
                .U8(at + WindowsInterfaceTable.FlagsOffset, r.Flags)
                .U32(at + WindowsInterfaceTable.OperStatusOffset, r.OperStatus)
                .U64(at + WindowsInterfaceTable.InOctetsOffset, r.InOctets)
                .U64(at + WindowsInterfaceTable.InUcastPktsOffset, r.InUcast)
                .U64(at + WindowsInterfaceTable.InNUcastPktsOffset, r.InNUcast)
                .U64(at + WindowsInterfaceTable.InDiscardsOffset, r.InDiscards)
                .U64(at + WindowsInterfaceTable.InErrorsOffset, r.InErrors)
                .U64(at + WindowsInterfaceTable.OutOctetsOffset, r.OutOctets)
                .U64(at + WindowsInterfaceTable.OutUcastPktsOffset, r.OutUcast)
                .U64(at + WindowsInterfaceTable.OutNUcastPktsOffset, r.OutNUcast)
                .U64(at + WindowsInterfaceTable.OutDiscardsOffset, r.OutDiscards)
                .U64(at + WindowsInterfaceTable.OutErrorsOffset, r.OutErrors);
        }

        return bytes.Buffer;
    }

    [Fact]
    public void ParseRowReadsTheCountersFlagsAndAlias()
    {
        var table = Table(new Row(0x0006_0000_0100_0000, "Ethernet", Ethernet, Hardware, Up,
            InOctets: 1_000_000, InUcast: 900, InNUcast: 100, InDiscards: 3, InErrors: 2,
            OutOctets: 500_000, OutUcast: 400, OutNUcast: 10, OutDiscards: 1, OutErrors: 4));

        Assert.Equal(1, WindowsInterfaceTable.RowCount(table));
        var bytes = WindowsInterfaceTable.Row(table, 0);
        var row = WindowsInterfaceTable.ParseRow(bytes);

        Assert.Equal("Ethernet", WindowsInterfaceTable.AliasOf(bytes).ToString());
        Assert.Equal(new IfRow2(0x0006_0000_0100_0000, Ethernet, IsHardware: true, IsFilter: false, Up,
            1_000_000, 900, 100, 3, 2, 500_000, 400, 10, 1, 4), row);
        Assert.Equal(new NetDevCounters("Ethernet", 1_000_000, 1000, 2, 3, 500_000, 410, 4, 1),
            WindowsInterfaceTable.ToCounters("Ethernet", row));
    }

    [Fact]
    public void OnlyAdaptersAreReportedNotLoopbackFiltersOrIdleSoftwareInterfaces()
    {
        var table = Table(
            new Row(1, "Loopback Pseudo-Interface 1", WindowsInterfaceTable.IfTypeSoftwareLoopback, 0, Up),
            new Row(2, "Ethernet", Ethernet, Hardware, Up),
            new Row(3, "Ethernet-WFP Native MAC Layer LightWeight Filter-0000", Ethernet, Hardware | Filter, Up),
            new Row(4, "Wi-Fi", Wireless, Hardware, Down),
            new Row(5, "vEthernet (Default Switch)", Ethernet, 0, Up),
            new Row(6, "Local Area Connection* 1", Ethernet, 0, Down),
            new Row(7, "Teredo Tunneling Pseudo-Interface", WindowsInterfaceTable.IfTypeTunnel, 0, Up));

        var reported = new List<string>();
        for (var i = 0; i < WindowsInterfaceTable.RowCount(table); i++)
        {
            var bytes = WindowsInterfaceTable.Row(table, i);
            if (WindowsInterfaceTable.IsReported(WindowsInterfaceTable.ParseRow(bytes)))
            {
                reported.Add(WindowsInterfaceTable.AliasOf(bytes).ToString());
            }
        }

        Assert.Equal(["Ethernet", "Wi-Fi", "vEthernet (Default Switch)"], reported);
    }

    [Fact]
    public void RowCountIsCappedToTheRowsTheBufferHolds()
    {
        var table = Table(new Row(1, "Ethernet", Ethernet, Hardware, Up));
        BitConverter.GetBytes(1000u).CopyTo(table, 0);

        Assert.Equal(1, WindowsInterfaceTable.RowCount(table));
        Assert.Equal(0, WindowsInterfaceTable.RowCount(new byte[4]));
    }

    [Fact]
    public void RatesBetweenTwoTablesUseTheSharedCounterArithmetic()
    {
        var before = WindowsInterfaceTable.ParseRow(WindowsInterfaceTable.Row(Table(new Row(2, "Ethernet", Ethernet, Hardware, Up,
            InOctets: 1_000_000, InUcast: 1000, InNUcast: 0, InDiscards: 10, InErrors: 0,
            OutOctets: 9_000_000, OutUcast: 500, OutNUcast: 0, OutDiscards: 0, OutErrors: 0)), 0));
        // Two seconds later; the out octets went backwards (the adapter was reset).
        var after = WindowsInterfaceTable.ParseRow(WindowsInterfaceTable.Row(Table(new Row(2, "Ethernet", Ethernet, Hardware, Up,
            InOctets: 3_000_000, InUcast: 2800, InNUcast: 200, InDiscards: 16, InErrors: 4,
            OutOctets: 100, OutUcast: 900, OutNUcast: 0, OutDiscards: 2, OutErrors: 0)), 0));

        var rates = NetworkCollector.ComputeRates(
            WindowsInterfaceTable.ToCounters("Ethernet", before), WindowsInterfaceTable.ToCounters("Ethernet", after), 2.0);

        Assert.Equal("Ethernet", rates.Name);
        Assert.Equal(1_000_000, rates.RxBytesPerSecond, 9);
        Assert.Equal(1000, rates.RxPacketsPerSecond, 9);
        Assert.Equal(3, rates.RxDropsPerSecond, 9);
        Assert.Equal(2, rates.RxErrorsPerSecond, 9);
        Assert.Equal(0, rates.TxBytesPerSecond);
        Assert.Equal(200, rates.TxPacketsPerSecond, 9);
        Assert.Equal(1, rates.TxDropsPerSecond, 9);
        Assert.Equal(16UL, rates.RxDropsTotal);
        Assert.Equal(4UL, rates.RxErrorsTotal);
    }
}
