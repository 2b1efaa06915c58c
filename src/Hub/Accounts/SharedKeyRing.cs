using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StackExchange.Redis;
using SysMon.Hub.Registry;

namespace SysMon.Hub.Accounts;

/// <summary>
/// The data-protection key ring (the keys that seal session cookies and anti-forgery tokens) kept in Redis,
/// so a viewer sent to another hub by the load balancer stays signed in. Unlike the stock Redis repository
/// it never blocks on a Redis that is down: the interface is synchronous and is asked on the request path,
/// so a dead Redis would stall every request for the client's timeout. Instead it answers from the keys it
/// last read, and a key made while Redis was away is written once Redis is back.
/// </summary>
public sealed class SharedKeyRing(IConnectionMultiplexer redis, ILogger<SharedKeyRing> logger) : IXmlRepository
{
    private readonly Lock _lock = new();
    private List<XElement> _known = [];
    private readonly List<XElement> _unsaved = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_lock)
        {
            if (!redis.IsConnected)
            {
                return [.. _known];
            }
            try
            {
                Flush();
                var stored = redis.GetDatabase().ListRange(RedisKeys.DataProtectionKeys);
                _known = [.. stored.Select(value => XElement.Parse(value.ToString()))];
            }
            catch (Exception ex) when (RedisOutage.Is(ex))
            {
                logger.LogWarning("Could not read the shared key ring; using the {Count} keys known here: {Error}", _known.Count, ex.Message);
            }
            return [.. _known.Concat(_unsaved)];
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_lock)
        {
            _unsaved.Add(element);
            if (redis.IsConnected)
            {
                try
                {
                    Flush();
                }
                catch (Exception ex) when (RedisOutage.Is(ex))
                {
                    logger.LogWarning("Could not store a new data-protection key in Redis yet: {Error}", ex.Message);
                }
            }
        }
    }

    private void Flush()
    {
        while (_unsaved.Count > 0)
        {
            redis.GetDatabase().ListRightPush(RedisKeys.DataProtectionKeys, _unsaved[0].ToString(SaveOptions.DisableFormatting));
            _known.Add(_unsaved[0]);
            _unsaved.RemoveAt(0);
        }
    }
}
