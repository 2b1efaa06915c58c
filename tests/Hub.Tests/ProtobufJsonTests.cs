using System.Text.Json;
using SysMon.Hub.Realtime;
using SysMon.Protocol.V1;
using Xunit;

namespace SysMon.Hub.Tests;

public class ProtobufJsonTests
{
    private static JsonElement Serialize(LiveSample sample) =>
        JsonDocument.Parse(JsonSerializer.Serialize(sample)).RootElement;

    [Fact]
    public void LiveSampleIsFlatWithMachineIdFirstAndProtoJsonNames()
    {
        var sample = new Sample
        {
            Sequence = 7,
            TimestampUnixMs = 1_764_000_000_123,
            Cpu = new CpuSample { TotalPercent = 42.5, CorePercent = { 40, 45 }, Load1M = 0.5 },
            Memory = new MemorySample { TotalBytes = 25_000_000_000 },
            NetworkInterfaces = { new NetworkInterfaceSample { Name = "eth0", RxBytesPerSecond = 1000 } },
        };

        var json = Serialize(new LiveSample("host-1", sample));

        Assert.Equal("machineId", json.EnumerateObject().First().Name);
        Assert.Equal("host-1", json.GetProperty("machineId").GetString());
        Assert.Equal(7, json.GetProperty("sequence").GetInt64());
        Assert.Equal(1_764_000_000_123, json.GetProperty("timestampUnixMs").GetInt64());
        Assert.Equal(42.5, json.GetProperty("cpu").GetProperty("totalPercent").GetDouble());
        Assert.Equal(2, json.GetProperty("cpu").GetProperty("corePercent").GetArrayLength());
        Assert.Equal(0.5, json.GetProperty("cpu").GetProperty("load1m").GetDouble());
        Assert.Equal(JsonValueKind.Number, json.GetProperty("memory").GetProperty("totalBytes").ValueKind);
        Assert.Equal(25_000_000_000UL, json.GetProperty("memory").GetProperty("totalBytes").GetUInt64());
        Assert.Equal("eth0", json.GetProperty("networkInterfaces")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void DefaultsAndEmptyListsAreWrittenSoClientsNeverGuess()
    {
        var json = Serialize(new LiveSample("m", new Sample()));

        Assert.Equal(0, json.GetProperty("uptimeSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("processes").ValueKind);
        Assert.Equal(0, json.GetProperty("processes").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("cpu").ValueKind);
    }

    [Fact]
    public void NonFiniteNumbersBecomeNullInsteadOfBreakingTheMessage()
    {
        var sample = new Sample { Cpu = new CpuSample { TotalPercent = double.NaN, UserPercent = double.PositiveInfinity } };

        var json = Serialize(new LiveSample("m", sample));

        Assert.Equal(JsonValueKind.Null, json.GetProperty("cpu").GetProperty("totalPercent").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("cpu").GetProperty("userPercent").ValueKind);
    }

    [Fact]
    public void HostileStringsAreEscapedAsJsonText()
    {
        var sample = new Sample { Processes = { new ProcessSample { Name = "</script><img src=x onerror=alert(1)>\"" } } };

        var text = JsonSerializer.Serialize(new LiveSample("m", sample));
        var json = JsonDocument.Parse(text).RootElement;

        Assert.DoesNotContain("<img", text, StringComparison.Ordinal);
        Assert.Equal("</script><img src=x onerror=alert(1)>\"", json.GetProperty("processes")[0].GetProperty("name").GetString());
    }
}
