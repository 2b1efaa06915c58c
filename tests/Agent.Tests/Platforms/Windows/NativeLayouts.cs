using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SysMon.Agent.Tests.Platforms.Windows;

// The Windows headers' structures, transcribed field by field as C# sequential structs. The CLR lays these out
// with the same natural alignment as MSVC on 64-bit, so their offsets check the parsers' hand-computed
// constants without a Windows machine. Pointers, HANDLEs and SIZE_Ts are 8 bytes (x64 and arm64).

/// <summary>Byte offsets of fields in a sequential struct, as the runtime lays it out.</summary>
internal static class Layout
{
    public static int OffsetOf<TStruct, TField>(ref TStruct value, ref TField field)
        where TStruct : struct =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref value), ref Unsafe.As<TField, byte>(ref field));
}

[InlineArray(257)]
internal struct Wchar257
{
    private ushort _first;
}

[InlineArray(32)]
internal struct Byte32
{
    private byte _first;
}

[InlineArray(8)]
internal struct Wchar8
{
    private ushort _first;
}

/// <summary>UNICODE_STRING (ntdef.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnicodeString
{
    public ushort Length;
    public ushort MaximumLength;
    public ulong Buffer;
}

/// <summary>SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION (ntexapi.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SystemProcessorPerformanceInformation
{
    public long IdleTime;
    public long KernelTime;
    public long UserTime;
    public long DpcTime;
    public long InterruptTime;
    public uint InterruptCount;
}

/// <summary>PROCESSOR_POWER_INFORMATION.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProcessorPowerInformation
{
    public uint Number;
    public uint MaxMhz;
    public uint CurrentMhz;
    public uint MhzLimit;
    public uint MaxIdleState;
    public uint CurrentIdleState;
}

/// <summary>SYSTEM_PROCESS_INFORMATION (ntexapi.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SystemProcessInformation
{
    public uint NextEntryOffset;
    public uint NumberOfThreads;
    public long WorkingSetPrivateSize;
    public uint HardFaultCount;
    public uint NumberOfThreadsHighWatermark;
    public ulong CycleTime;
    public long CreateTime;
    public long UserTime;
    public long KernelTime;
    public UnicodeString ImageName;
    public int BasePriority;
    public ulong UniqueProcessId;
    public ulong InheritedFromUniqueProcessId;
    public uint HandleCount;
    public uint SessionId;
    public ulong UniqueProcessKey;
    public ulong PeakVirtualSize;
    public ulong VirtualSize;
    public uint PageFaultCount;
    public ulong PeakWorkingSetSize;
    public ulong WorkingSetSize;
    public ulong QuotaPeakPagedPoolUsage;
    public ulong QuotaPagedPoolUsage;
    public ulong QuotaPeakNonPagedPoolUsage;
    public ulong QuotaNonPagedPoolUsage;
    public ulong PagefileUsage;
    public ulong PeakPagefileUsage;
    public ulong PrivatePageCount;
    public long ReadOperationCount;
    public long WriteOperationCount;
    public long OtherOperationCount;
    public long ReadTransferCount;
    public long WriteTransferCount;
    public long OtherTransferCount;
}

/// <summary>SYSTEM_THREAD_INFORMATION (ntexapi.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SystemThreadInformation
{
    public long KernelTime;
    public long UserTime;
    public long CreateTime;
    public uint WaitTime;
    public ulong StartAddress;
    public ulong ClientIdProcess;
    public ulong ClientIdThread;
    public int Priority;
    public int BasePriority;
    public uint ContextSwitches;
    public uint ThreadState;
    public uint WaitReason;
}

/// <summary>MIB_IF_ROW2 (netioapi.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MibIfRow2
{
    public ulong InterfaceLuid;
    public uint InterfaceIndex;
    public Guid InterfaceGuid;
    public Wchar257 Alias;
    public Wchar257 Description;
    public uint PhysicalAddressLength;
    public Byte32 PhysicalAddress;
    public Byte32 PermanentPhysicalAddress;
    public uint Mtu;
    public uint Type;
    public uint TunnelType;
    public uint MediaType;
    public uint PhysicalMediumType;
    public uint AccessType;
    public uint DirectionType;
    public byte InterfaceAndOperStatusFlags;
    public uint OperStatus;
    public uint AdminStatus;
    public uint MediaConnectState;
    public Guid NetworkGuid;
    public uint ConnectionType;
    public ulong TransmitLinkSpeed;
    public ulong ReceiveLinkSpeed;
    public ulong InOctets;
    public ulong InUcastPkts;
    public ulong InNUcastPkts;
    public ulong InDiscards;
    public ulong InErrors;
    public ulong InUnknownProtos;
    public ulong InUcastOctets;
    public ulong InMulticastOctets;
    public ulong InBroadcastOctets;
    public ulong OutOctets;
    public ulong OutUcastPkts;
    public ulong OutNUcastPkts;
    public ulong OutDiscards;
    public ulong OutErrors;
    public ulong OutUcastOctets;
    public ulong OutMulticastOctets;
    public ulong OutBroadcastOctets;
    public ulong OutQLen;
}

/// <summary>MIB_IF_TABLE2 with one row (netioapi.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MibIfTable2
{
    public uint NumEntries;
    public MibIfRow2 FirstRow;
}

/// <summary>DISK_PERFORMANCE (winioctl.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DiskPerformanceStruct
{
    public long BytesRead;
    public long BytesWritten;
    public long ReadTime;
    public long WriteTime;
    public long IdleTime;
    public uint ReadCount;
    public uint WriteCount;
    public uint QueueDepth;
    public uint SplitCount;
    public long QueryTime;
    public uint StorageDeviceNumber;
    public Wchar8 StorageManagerName;
}
