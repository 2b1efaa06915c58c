using System.Runtime.CompilerServices;
using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

/// <summary>The parsers' offset constants against the headers' structures transcribed in NativeLayouts.cs.</summary>
public class NativeLayoutTests
{
    [Fact]
    public void ProcessorPerformanceConstantsMatchTheStructure()
    {
        var s = default(SystemProcessorPerformanceInformation);

        Assert.Equal(WindowsCpuTimes.ProcessorPerformanceSize, Unsafe.SizeOf<SystemProcessorPerformanceInformation>());
        Assert.Equal(WindowsCpuTimes.IdleTimeOffset, Layout.OffsetOf(ref s, ref s.IdleTime));
        Assert.Equal(WindowsCpuTimes.KernelTimeOffset, Layout.OffsetOf(ref s, ref s.KernelTime));
        Assert.Equal(WindowsCpuTimes.UserTimeOffset, Layout.OffsetOf(ref s, ref s.UserTime));
    }

    [Fact]
    public void PowerInformationConstantsMatchTheStructure()
    {
        var s = default(ProcessorPowerInformation);

        Assert.Equal(WindowsCpuTimes.PowerInformationSize, Unsafe.SizeOf<ProcessorPowerInformation>());
        Assert.Equal(WindowsCpuTimes.PowerNumberOffset, Layout.OffsetOf(ref s, ref s.Number));
        Assert.Equal(WindowsCpuTimes.PowerCurrentMhzOffset, Layout.OffsetOf(ref s, ref s.CurrentMhz));
    }

    [Fact]
    public void ProcessInformationConstantsMatchTheStructure()
    {
        var s = default(SystemProcessInformation);

        Assert.Equal(WindowsProcessList.ProcessInformationSize, Unsafe.SizeOf<SystemProcessInformation>());
        Assert.Equal(WindowsProcessList.NextEntryOffsetOffset, Layout.OffsetOf(ref s, ref s.NextEntryOffset));
        Assert.Equal(WindowsProcessList.NumberOfThreadsOffset, Layout.OffsetOf(ref s, ref s.NumberOfThreads));
        Assert.Equal(WindowsProcessList.CreateTimeOffset, Layout.OffsetOf(ref s, ref s.CreateTime));
        Assert.Equal(WindowsProcessList.UserTimeOffset, Layout.OffsetOf(ref s, ref s.UserTime));
        Assert.Equal(WindowsProcessList.KernelTimeOffset, Layout.OffsetOf(ref s, ref s.KernelTime));
        Assert.Equal(WindowsProcessList.ImageNameOffset, Layout.OffsetOf(ref s, ref s.ImageName));
        Assert.Equal(WindowsProcessList.UniqueProcessIdOffset, Layout.OffsetOf(ref s, ref s.UniqueProcessId));
        Assert.Equal(WindowsProcessList.WorkingSetSizeOffset, Layout.OffsetOf(ref s, ref s.WorkingSetSize));
    }

    [Fact]
    public void ThreadInformationAndUnicodeStringConstantsMatchTheStructures()
    {
        var t = default(SystemThreadInformation);
        var u = default(UnicodeString);

        Assert.Equal(WindowsProcessList.ThreadInformationSize, Unsafe.SizeOf<SystemThreadInformation>());
        Assert.Equal(WindowsProcessList.ThreadStateOffset, Layout.OffsetOf(ref t, ref t.ThreadState));
        Assert.Equal(WindowsProcessList.WaitReasonOffset, Layout.OffsetOf(ref t, ref t.WaitReason));
        Assert.Equal(WindowsProcessList.UnicodeStringSize, Unsafe.SizeOf<UnicodeString>());
        Assert.Equal(WindowsProcessList.UnicodeStringLengthOffset, Layout.OffsetOf(ref u, ref u.Length));
        Assert.Equal(WindowsProcessList.UnicodeStringBufferOffset, Layout.OffsetOf(ref u, ref u.Buffer));
    }

    [Fact]
    public void InterfaceRowConstantsMatchTheStructure()
    {
        var r = default(MibIfRow2);
        var t = default(MibIfTable2);

        Assert.Equal(WindowsInterfaceTable.RowSize, Unsafe.SizeOf<MibIfRow2>());
        Assert.Equal(WindowsInterfaceTable.TableRowsOffset, Layout.OffsetOf(ref t, ref t.FirstRow));
        Assert.Equal(WindowsInterfaceTable.LuidOffset, Layout.OffsetOf(ref r, ref r.InterfaceLuid));
        Assert.Equal(WindowsInterfaceTable.AliasOffset, Layout.OffsetOf(ref r, ref r.Alias));
        Assert.Equal(WindowsInterfaceTable.TypeOffset, Layout.OffsetOf(ref r, ref r.Type));
        Assert.Equal(WindowsInterfaceTable.FlagsOffset, Layout.OffsetOf(ref r, ref r.InterfaceAndOperStatusFlags));
        Assert.Equal(WindowsInterfaceTable.OperStatusOffset, Layout.OffsetOf(ref r, ref r.OperStatus));
        Assert.Equal(WindowsInterfaceTable.InOctetsOffset, Layout.OffsetOf(ref r, ref r.InOctets));
        Assert.Equal(WindowsInterfaceTable.InUcastPktsOffset, Layout.OffsetOf(ref r, ref r.InUcastPkts));
        Assert.Equal(WindowsInterfaceTable.InNUcastPktsOffset, Layout.OffsetOf(ref r, ref r.InNUcastPkts));
        Assert.Equal(WindowsInterfaceTable.InDiscardsOffset, Layout.OffsetOf(ref r, ref r.InDiscards));
        Assert.Equal(WindowsInterfaceTable.InErrorsOffset, Layout.OffsetOf(ref r, ref r.InErrors));
        Assert.Equal(WindowsInterfaceTable.OutOctetsOffset, Layout.OffsetOf(ref r, ref r.OutOctets));
        Assert.Equal(WindowsInterfaceTable.OutUcastPktsOffset, Layout.OffsetOf(ref r, ref r.OutUcastPkts));
        Assert.Equal(WindowsInterfaceTable.OutNUcastPktsOffset, Layout.OffsetOf(ref r, ref r.OutNUcastPkts));
        Assert.Equal(WindowsInterfaceTable.OutDiscardsOffset, Layout.OffsetOf(ref r, ref r.OutDiscards));
        Assert.Equal(WindowsInterfaceTable.OutErrorsOffset, Layout.OffsetOf(ref r, ref r.OutErrors));
    }

    [Fact]
    public void DiskPerformanceConstantsMatchTheStructure()
    {
        var d = default(DiskPerformanceStruct);

        Assert.Equal(WindowsDiskPerformance.Size, Unsafe.SizeOf<DiskPerformanceStruct>());
        Assert.Equal(WindowsDiskPerformance.BytesReadOffset, Layout.OffsetOf(ref d, ref d.BytesRead));
        Assert.Equal(WindowsDiskPerformance.BytesWrittenOffset, Layout.OffsetOf(ref d, ref d.BytesWritten));
        Assert.Equal(WindowsDiskPerformance.IdleTimeOffset, Layout.OffsetOf(ref d, ref d.IdleTime));
        Assert.Equal(WindowsDiskPerformance.ReadCountOffset, Layout.OffsetOf(ref d, ref d.ReadCount));
        Assert.Equal(WindowsDiskPerformance.WriteCountOffset, Layout.OffsetOf(ref d, ref d.WriteCount));
        Assert.Equal(WindowsDiskPerformance.QueryTimeOffset, Layout.OffsetOf(ref d, ref d.QueryTime));
    }
}
