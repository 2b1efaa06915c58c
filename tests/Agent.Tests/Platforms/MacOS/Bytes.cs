using System.Buffers.Binary;
using System.Text;

namespace SysMon.Agent.Tests.Platforms.MacOS;

/// <summary>
/// Builds a native struct by hand: little-endian values at the byte offsets the Darwin headers give. The tests
/// write literal offsets on purpose, so a wrong constant in MacStructs cannot agree with itself.
/// </summary>
internal sealed class Bytes(int size)
{
    public byte[] Data { get; } = new byte[size];

    public Bytes U16(int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Data.AsSpan(offset), value);
        return this;
    }

    public Bytes U32(int offset, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Data.AsSpan(offset), value);
        return this;
    }

    public Bytes I32(int offset, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Data.AsSpan(offset), value);
        return this;
    }

    public Bytes U64(int offset, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Data.AsSpan(offset), value);
        return this;
    }

    public Bytes Text(int offset, string value)
    {
        Encoding.UTF8.GetBytes(value).CopyTo(Data, offset);
        return this;
    }

    public Bytes Raw(int offset, params byte[] value)
    {
        value.CopyTo(Data, offset);
        return this;
    }
}
