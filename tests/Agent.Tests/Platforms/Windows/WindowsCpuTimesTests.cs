using SysMon.Agent.Platforms.Windows;

namespace SysMon.Agent.Tests.Platforms.Windows;

public class WindowsCpuTimesTests
{
    private const int Size = WindowsCpuTimes.ProcessorPerformanceSize;

    private static Bytes Cores(params (long Idle, long Kernel, long User)[] cores)
    {
        var bytes = new Bytes(cores.Length * Size);
        for (var i = 0; i < cores.Length; i++)
        {
            bytes.I64((i * Size) + WindowsCpuTimes.IdleTimeOffset, cores[i].Idle)
                .I64((i * Size) + WindowsCpuTimes.KernelTimeOffset, cores[i].Kernel)
                .I64((i * Size) + WindowsCpuTimes.UserTimeOffset, cores[i].User)
                // DpcTime and InterruptTime are not read; garbage there must not matter.
                .I64((i * Size) + 24, 999_999)
                .I64((i * Size) + 32, 888_888);
        }

        return bytes;
    }

    [Fact]
    public void ParseProcessorPerformanceReadsEveryCoreInOrder()
    {
        var buffer = Cores((100, 300, 50), (200, 500, 70));
        var cores = new List<ProcessorTimes>();

        WindowsCpuTimes.ParseProcessorPerformance(buffer.Buffer, cores);

        Assert.Equal([new ProcessorTimes(100, 300, 50), new ProcessorTimes(200, 500, 70)], cores);
    }

    [Fact]
    public void ParseProcessorPerformanceIgnoresATrailingPartialRecordAndClearsTheList()
    {
        var buffer = Cores((1, 2, 3));
        var cores = new List<ProcessorTimes> { new(9, 9, 9) };

        WindowsCpuTimes.ParseProcessorPerformance(buffer.Buffer.Concat(new byte[20]).ToArray(), cores);

        Assert.Equal([new ProcessorTimes(1, 2, 3)], cores);
    }

    [Fact]
    public void ComputePercentagesCountsIdleAsPartOfKernelTime()
    {
        // Over the window: 1000 ticks in all = kernel 800 (of which idle 600) + user 200.
        var percentages = WindowsCpuTimes.ComputePercentages(new ProcessorTimes(1000, 5000, 3000), new ProcessorTimes(1600, 5800, 3200));

        Assert.Equal(40, percentages.Busy, 9);
        Assert.Equal(20, percentages.User, 9);
        Assert.Equal(20, percentages.System, 9);
        Assert.Equal(60, percentages.Idle, 9);
        Assert.Equal(0, percentages.IoWait);
        Assert.Equal(0, percentages.Steal);
    }

    [Fact]
    public void ComputePercentagesOfASaturatedCoreIsAHundred()
    {
        var percentages = WindowsCpuTimes.ComputePercentages(new ProcessorTimes(0, 0, 0), new ProcessorTimes(0, 300, 700));

        Assert.Equal(100, percentages.Busy, 9);
        Assert.Equal(70, percentages.User, 9);
        Assert.Equal(30, percentages.System, 9);
    }

    [Fact]
    public void CountersThatWentBackwardsGiveZeroInsteadOfNonsense()
    {
        var backwards = WindowsCpuTimes.ComputePercentages(new ProcessorTimes(500, 900, 900), new ProcessorTimes(100, 200, 300));
        var idleAheadOfKernel = WindowsCpuTimes.ComputePercentages(new ProcessorTimes(0, 0, 0), new ProcessorTimes(120, 100, 0));

        Assert.Equal(default, backwards);
        Assert.Equal(0, idleAheadOfKernel.Busy, 9);
        Assert.Equal(100, idleAheadOfKernel.Idle, 9);
    }

    [Fact]
    public void ParsePowerInformationPlacesEachCurrentMhzAtItsProcessorNumber()
    {
        const int Size = WindowsCpuTimes.PowerInformationSize;
        // Records out of order, and one claiming a processor that does not exist.
        var buffer = new Bytes(3 * Size)
            .U32(0 + WindowsCpuTimes.PowerNumberOffset, 1).U32(0 + 4, 3600).U32(0 + WindowsCpuTimes.PowerCurrentMhzOffset, 2400)
            .U32(Size + WindowsCpuTimes.PowerNumberOffset, 0).U32(Size + 4, 3600).U32(Size + WindowsCpuTimes.PowerCurrentMhzOffset, 3100)
            .U32((2 * Size) + WindowsCpuTimes.PowerNumberOffset, 7).U32((2 * Size) + WindowsCpuTimes.PowerCurrentMhzOffset, 9999);
        var mhz = new List<double>();

        WindowsCpuTimes.ParsePowerInformation(buffer.Buffer, processorCount: 3, mhz);

        Assert.Equal([3100, 2400, 0], mhz);
    }

    [Fact]
    public void ParsePowerInformationReadsNoMoreRecordsThanTheBufferHolds()
    {
        var buffer = new Bytes(WindowsCpuTimes.PowerInformationSize).U32(WindowsCpuTimes.PowerCurrentMhzOffset, 1800);
        var mhz = new List<double>();

        WindowsCpuTimes.ParsePowerInformation(buffer.Buffer, processorCount: 4, mhz);

        Assert.Equal([1800], mhz);
    }
}
