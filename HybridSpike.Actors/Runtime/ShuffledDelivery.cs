using Akka.Actor;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Actors.Runtime;

/// <summary>
/// Sits in front of one core when <see cref="MeshRunOptions.Shuffle"/> is set (<see cref="DeliveryShuffle"/>):
/// holds every message for the core and releases them in a seeded random order. Each arriving
/// message queues one release token to this actor's own mailbox; a token is put back (re-sent to
/// itself, behind whatever has arrived meanwhile) a random 0..MaxHold times, then releases a random
/// held message. Tokens and held messages are always equal in number, so every message is released
/// exactly once and none waits forever.
/// </summary>
internal sealed class ShuffledDelivery : ReceiveActor
{
    private readonly IActorRef _core;
    private readonly int _maxHold;
    private readonly List<object> _held = [];
    private SplitMix64 _random;

    private sealed record Release(int PutBack);

    public ShuffledDelivery(IActorRef core, DeliveryShuffle shuffle, int coreIndex)
    {
        _core = core;
        _maxHold = shuffle.MaxHold;
        _random = SplitMix64.Derive(shuffle.Seed, (ulong)coreIndex);
        Receive<Release>(OnRelease);
        ReceiveAny(message =>
        {
            _held.Add(message);
            Self.Tell(new Release(_random.NextInt(_maxHold + 1)));
        });
    }

    private void OnRelease(Release r)
    {
        if (r.PutBack > 0)
        {
            Self.Tell(new Release(r.PutBack - 1));
            return;
        }
        int i = _random.NextInt(_held.Count);
        var message = _held[i];
        _held[i] = _held[^1];
        _held.RemoveAt(_held.Count - 1);
        _core.Tell(message);
    }
}
