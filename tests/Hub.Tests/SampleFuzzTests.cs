using System.Text.Json;
using CsCheck;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using SysMon.Hub.Ingest;
using SysMon.Hub.Realtime;
using SysMon.Protocol.V1;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>
/// Property tests of what the hub does with an agent's bytes: decode (Google.Protobuf), check and clean
/// (AgentMessageRules), write for viewers (SampleJsonWriter). Generated inputs: any UTF-16 text (control
/// characters, surrogate pairs, markup), any double (NaN, infinities, subnormals), lists around their caps,
/// random bytes and mutations of valid messages. Bounded by iterations, a few seconds in all.
/// </summary>
public sealed class SampleFuzzTests
{
    // Any character, with control characters and surrogates (paired or not) far more often than chance would give.
    private static readonly Gen<string> AnyText = Gen.String[
        Gen.Frequency((6, Gen.Char), (1, Gen.Char['\u0000', '\u001f']), (1, Gen.Char['\ud800', '\udfff'])), 0, 1200];
    private static readonly Gen<double> AnyNumber = Gen.Frequency(
        (6, Gen.Double),
        (1, Gen.Const(double.NaN)),
        (1, Gen.Const(double.PositiveInfinity)),
        (1, Gen.Const(double.NegativeInfinity)),
        (1, Gen.Const(-1.0)));

    private static readonly Gen<ProcessSample> AnyProcess =
        Gen.Select(AnyText, AnyText, AnyText, AnyNumber, Gen.Int, (name, user, command, cpu, pid) => new ProcessSample
        {
            Pid = pid, Name = name, User = user, CommandLine = command, CpuPercent = cpu, State = name.Length > 3 ? name[..3] : name,
        });

    private static readonly Gen<Sample> AnySample = Gen.Select(
        AnyNumber.Array[0, 64],
        AnyProcess.Array[0, 110],
        AnyText.Array[0, 6],
        AnyNumber,
        Gen.Long,
        (cores, processes, names, value, timestamp) =>
        {
            var sample = new Sample { Sequence = 1, TimestampUnixMs = timestamp, Cpu = new CpuSample { TotalPercent = value, Load1M = value } };
            sample.Cpu.CorePercent.AddRange(cores);
            sample.Processes.AddRange(processes);
            foreach (var name in names)
            {
                sample.Filesystems.Add(new FilesystemSample { MountPoint = name, Device = name, FsType = name, TotalBytes = 1, UsedBytes = 2 });
                sample.NetworkInterfaces.Add(new NetworkInterfaceSample { Name = name, RxBytesPerSecond = value });
                sample.Temperatures.Add(new TemperatureSample { Name = name, Celsius = value });
                sample.Gpus.Add(new GpuSample { Name = name, Uuid = name, Vendor = name });
                sample.Containers.Add(new ContainerSample { Id = name, Name = name, Runtime = name });
                sample.FailedCollectors.Add(name);
            }
            return sample;
        });

    [Fact]
    public void AnySampleIsRefusedWithAReasonOrCleanedIntoTextAViewerCanRead() =>
        AnySample.Sample(sample =>
        {
            var reason = AgentMessageRules.CheckSample(sample);
            if (sample.Processes.Count > AgentMessageRules.MaxProcesses)
            {
                Assert.False(string.IsNullOrWhiteSpace(reason));
                return;
            }
            Assert.Null(reason);
            AssertCleanText(sample);
            AssertViewerJson(sample);
        }, iter: 400, threads: 1, print: s => $"{s.Processes.Count} processes, {s.Filesystems.Count} filesystems");

    [Fact]
    public void ACapThatFallsInsideASurrogatePairDoesNotLeaveHalfACharacter()
    {
        // 255 letters then an emoji (two UTF-16 units): the 256-unit cap falls between its halves.
        var sample = new Sample();
        sample.Processes.Add(new ProcessSample { Name = new string('a', 255) + "\U0001F600" });

        Assert.Null(AgentMessageRules.CheckSample(sample));

        var name = sample.Processes[0].Name;
        Assert.False(char.IsHighSurrogate(name[^1]), "the name ends with half a surrogate pair");
        AssertViewerJson(sample);
    }

    [Fact]
    public void AnyBytesDecodeIntoAMessageOrAProtobufErrorAndNothingElse()
    {
        var valid = AnySample.Select(s => new AgentMessage { Sample = s }.ToByteArray());
        var mutated = Gen.Select(valid, Gen.Int, Gen.Byte, Gen.Int[0, 3], (bytes, at, value, kind) =>
        {
            if (bytes.Length == 0) return bytes;
            var i = (int)((uint)at % bytes.Length);
            return kind switch
            {
                0 => bytes[..i],                                            // truncated
                1 => [.. bytes[..i], value, .. bytes[i..]],                 // a byte inserted
                2 => bytes.Select((b, j) => j == i ? value : b).ToArray(),  // a byte changed
                _ => [.. bytes, .. bytes[..i]],                             // trailing junk
            };
        });
        Gen.OneOf(Gen.Byte.Array[0, 2048], mutated).Sample(bytes =>
        {
            AgentMessage message;
            try
            {
                message = AgentMessage.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
                return; // refused by the decoder: the ingest stream ends with an error, as HostileInputTests shows
            }
            if (message.Sample is { } sample && AgentMessageRules.CheckSample(sample) is null)
            {
                AssertCleanText(sample);
                AssertViewerJson(sample);
            }
            if (message.Hello is { } hello)
            {
                AgentMessageRules.CheckHello(hello);
            }
        }, iter: 600, threads: 1, print: b => Convert.ToHexString(b.AsSpan(0, Math.Min(b.Length, 64))));
    }

    /// <summary>Every string in the message, at any depth, is within its cap and free of control characters.</summary>
    private static void AssertCleanText(IMessage message)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var value = field.Accessor.GetValue(message);
            switch (field.FieldType)
            {
                case FieldType.String when field.IsRepeated:
                    foreach (string s in (System.Collections.IList)value) AssertClean(s, field);
                    break;
                case FieldType.String:
                    AssertClean((string)value, field);
                    break;
                case FieldType.Message when field.IsRepeated:
                    foreach (IMessage m in (System.Collections.IList)value) AssertCleanText(m);
                    break;
                case FieldType.Message when value is IMessage m:
                    AssertCleanText(m);
                    break;
            }
        }
    }

    private static void AssertClean(string s, FieldDescriptor field)
    {
        Assert.True(s.Length <= AgentMessageRules.MaxCommandLine, $"{field.FullName} is {s.Length} chars");
        Assert.DoesNotContain(s, char.IsControl);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                Assert.True(i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]), $"{field.FullName} has half a surrogate pair");
                i++;
            }
            else
            {
                Assert.False(char.IsLowSurrogate(s[i]), $"{field.FullName} has half a surrogate pair");
            }
        }
    }

    /// <summary>The hub's JSON for viewers is valid (no NaN, no broken UTF-16) and names the machine.</summary>
    private static void AssertViewerJson(Sample sample)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            SampleJsonWriter.Write(writer, "fuzz", sample);
        }
        using var json = JsonDocument.Parse(stream.ToArray());
        Assert.Equal("fuzz", json.RootElement.GetProperty("machineId").GetString());
    }
}
