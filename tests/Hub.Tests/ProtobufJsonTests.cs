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

public class SampleJsonWriterTests
{
    /// <summary>Sets every field of a message to a distinct non-default value, one element per list, recursively.</summary>
    private static void Fill(Google.Protobuf.IMessage message, ref int seed)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            seed++;
            object value = field.FieldType switch
            {
                Google.Protobuf.Reflection.FieldType.Message => NewFilled(field.MessageType, ref seed),
                Google.Protobuf.Reflection.FieldType.String => $"text-{seed} \"quoted\" <b>",
                Google.Protobuf.Reflection.FieldType.Bool => true,
                Google.Protobuf.Reflection.FieldType.Double => seed + 0.25,
                Google.Protobuf.Reflection.FieldType.Int32 => seed,
                Google.Protobuf.Reflection.FieldType.Int64 => (long)seed * 1_000_000_007,
                Google.Protobuf.Reflection.FieldType.UInt32 => (uint)seed,
                Google.Protobuf.Reflection.FieldType.UInt64 => (ulong)seed * 1_000_000_007,
                _ => throw new NotSupportedException($"{field.FullName}: add {field.FieldType} to this test"),
            };
            if (field.IsRepeated)
            {
                ((System.Collections.IList)field.Accessor.GetValue(message)).Add(value);
            }
            else
            {
                field.Accessor.SetValue(message, value);
            }
        }
    }

    private static Google.Protobuf.IMessage NewFilled(Google.Protobuf.Reflection.MessageDescriptor type, ref int seed)
    {
        var message = type.Parser.ParseFrom([]);
        Fill(message, ref seed);
        return message;
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void FastWriterWritesExactlyWhatTheDescriptorDrivenWriterWritesForEveryField()
    {
        var seed = 0;
        var sample = (Sample)NewFilled(Sample.Descriptor, ref seed);
        sample.Cpu.CorePercent.Add(double.NaN);

        var fast = Write(w => SampleJsonWriter.Write(w, "m-1", sample));
        var reference = Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("machineId", "m-1");
            ProtobufJson.WriteFields(w, sample);
            w.WriteEndObject();
        });

        Assert.Equal(reference, fast);
    }

    [Fact]
    public void FastWriterWritesNullForMissingCpuAndMemoryLikeTheReference()
    {
        var sample = new Sample { Sequence = 1 };
        var fast = Write(w => SampleJsonWriter.Write(w, "m", sample));
        var reference = Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("machineId", "m");
            ProtobufJson.WriteFields(w, sample);
            w.WriteEndObject();
        });
        Assert.Equal(reference, fast);
    }
}
