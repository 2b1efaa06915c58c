using System.Security.Cryptography;

namespace SysMon.Hub.Accounts;

/// <summary>
/// Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the kind every
/// authenticator app reads from an <c>otpauth://</c> URI. Pure apart from <see cref="NewSecret"/>.
/// </summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int Digits = 6;

    /// <summary>20 random bytes (the RFC's key size for SHA-1) in Base32, as apps expect.</summary>
    public static string NewSecret() => Base32.Encode(RandomNumberGenerator.GetBytes(20));

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    public static string Code(byte[] key, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(key, counter, mac);
        var offset = mac[^1] & 0x0f;
        var binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
        return (binary % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The step whose code <paramref name="code"/> is, within one step of <paramref name="now"/> (clock
    /// drift), and later than <paramref name="lastUsedStep"/> (a code is good once); null otherwise.
    /// </summary>
    public static long? Verify(string secret, string? code, DateTimeOffset now, long lastUsedStep)
    {
        code = code?.Replace(" ", "", StringComparison.Ordinal);
        if (code is not { Length: Digits } || !code.All(char.IsAsciiDigit) || Base32.Decode(secret) is not { } key)
        {
            return null;
        }
        var current = StepAt(now);
        for (var step = current - 1; step <= current + 1; step++)
        {
            if (step > lastUsedStep && CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(Code(key, step)), System.Text.Encoding.ASCII.GetBytes(code)))
            {
                return step;
            }
        }
        return null;
    }

    /// <summary>The URI authenticator apps import (Key URI Format): issuer "SysMon", label "SysMon:NAME".</summary>
    public static string Uri(string secret, string account, string issuer = "SysMon") =>
        $"otpauth://totp/{System.Uri.EscapeDataString(issuer)}:{System.Uri.EscapeDataString(account)}" +
        $"?secret={secret}&issuer={System.Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";
}

/// <summary>RFC 4648 Base32 without padding, upper case. Pure.</summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var output = new System.Text.StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            output.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }
        return output.ToString();
    }

    /// <summary>Null for characters outside the alphabet; case, spaces and padding are ignored.</summary>
    public static byte[]? Decode(string text)
    {
        var bytes = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var raw in text)
        {
            if (raw is ' ' or '=')
            {
                continue;
            }
            var value = Alphabet.IndexOf(char.ToUpperInvariant(raw));
            if (value < 0)
            {
                return null;
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
