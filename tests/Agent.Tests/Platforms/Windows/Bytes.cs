using System.Buffers.Binary;
using System.Text;

namespace SysMon.Agent.Tests.Platforms.Windows;

/// <summary>A little-endian byte buffer written field by field at given offsets, as the kernel would fill it.</summary>
internal sealed class Bytes(int length)
{
    public byte[] Buffer { get; } = new byte[length];

    public Bytes U16(int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Buffer.AsSpan(offset), value);
        return this;
    }

    public Bytes U32(int offset, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Buffer.AsSpan(offset), value);
        return this;
    }

    public Bytes U64(int offset, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Buffer.AsSpan(offset), value);
        return this;
    }

    public Bytes I64(int offset, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Buffer.AsSpan(offset), value);
        return this;
    }

    public Bytes U8(int offset, byte value)
    {
        Buffer[offset] = value;
        return this;
    }

    /// <summary>UTF-16 text at <paramref name="offset"/>, without a terminator.</summary>
    public Bytes Utf16(int offset, string text)
    {
        Encoding.Unicode.GetBytes(text, Buffer.AsSpan(offset));
        return this;
    }

    /// <summary>
    /// A UNICODE_STRING at <paramref name="at"/> whose Buffer points at <paramref name="textOffset"/> of this buffer,
    /// taken to lie at <paramref name="baseAddress"/>, and the text itself there.
    /// </summary>
    public Bytes UnicodeString(int at, int textOffset, string text, ulong baseAddress)
    {
        var byteLength = (ushort)(text.Length * 2);
        U16(at, byteLength);
        U16(at + 2, (ushort)(byteLength + 2));
        U64(at + 8, baseAddress + (ulong)textOffset);
        return Utf16(textOffset, text);
    }
}
