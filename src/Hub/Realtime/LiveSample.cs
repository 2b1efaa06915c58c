using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using SysMon.Protocol.V1;

namespace SysMon.Hub.Realtime;

/// <summary>
/// The <c>sample</c> message viewers receive: <c>machineId</c> followed by every field of the
/// protobuf <see cref="Sample"/>, flat, in proto3 JSON names.
/// </summary>
[JsonConverter(typeof(LiveSampleJsonConverter))]
public sealed record LiveSample(string MachineId, Sample Sample);

/// <summary>
/// Writes protobuf messages as plain JSON for browsers. Unlike Google.Protobuf's JsonFormatter it
/// writes 64-bit integers as numbers (byte counts stay far below 2^53, and a dashboard should not
/// parse strings) and always writes every field, so clients never have to guess defaults.
/// </summary>
public sealed class LiveSampleJsonConverter : JsonConverter<LiveSample>
{
    public override LiveSample Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new JsonException("LiveSample is sent by the hub, never received.");

    public override void Write(Utf8JsonWriter writer, LiveSample value, JsonSerializerOptions options) =>
        SampleJsonWriter.Write(writer, value.MachineId, value.Sample);
}

/// <summary>
/// Descriptor-driven protobuf → JSON writer: the reference for <see cref="SampleJsonWriter"/> (tests compare
/// the two), and usable for any other message.
/// </summary>
public static class ProtobufJson
{
    public static void WriteMessage(Utf8JsonWriter writer, IMessage message)
    {
        writer.WriteStartObject();
        WriteFields(writer, message);
        writer.WriteEndObject();
    }

    public static void WriteFields(Utf8JsonWriter writer, IMessage message)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            writer.WritePropertyName(field.JsonName);
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                writer.WriteStartArray();
                foreach (var item in (IEnumerable)value)
                {
                    WriteValue(writer, field, item);
                }
                writer.WriteEndArray();
            }
            else
            {
                WriteValue(writer, field, value);
            }
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, FieldDescriptor field, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case IMessage nested:
                WriteMessage(writer, nested);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            // JSON has no NaN or infinity; an agent bug must not make the whole message unreadable.
            case double d:
                if (double.IsFinite(d)) writer.WriteNumberValue(d); else writer.WriteNullValue();
                break;
            case float f:
                if (float.IsFinite(f)) writer.WriteNumberValue(f); else writer.WriteNullValue();
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case uint u:
                writer.WriteNumberValue(u);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case ulong ul:
                writer.WriteNumberValue(ul);
                break;
            case ByteString bytes:
                writer.WriteBase64StringValue(bytes.Span);
                break;
            case Enum e:
                writer.WriteNumberValue(Convert.ToInt32(e, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                throw new NotSupportedException($"Field {field.FullName} has an unsupported type {value.GetType()}.");
        }
    }
}
