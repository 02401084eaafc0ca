using Akka.Actor;
using Akka.Serialization;
using HybridSpike.Actors.Cluster;
using HybridSpike.Actors.Runtime;
using HybridSpike.Actors.Runtime.Deployment.Serialization;
using HybridSpike.Actors.Runtime.Serialization;

namespace HybridSpike.Actors.Tests.Cluster;

/// <summary>Bytes a forging node sends in place of a step-protocol message: the frame is exactly these bytes, under this manifest.</summary>
public record Forged(string Manifest, byte[] Bytes);

/// <summary>The same in place of a core-hosting message.</summary>
public sealed record ForgedHosting(string Manifest, byte[] Bytes) : Forged(Manifest, Bytes);

/// <summary>A forging node's serializer: it sends <see cref="Forged"/> bytes under the identifier of one of our wire serializers.</summary>
public abstract class ForgingSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override string Manifest(object o) => ((Forged)o).Manifest;
    public override byte[] ToBinary(object obj) => ((Forged)obj).Bytes;
    public override object FromBinary(byte[] bytes, string manifest) => throw new NotSupportedException("a forger only sends");
}

public sealed class ForgedRuntime(ExtendedActorSystem system) : ForgingSerializer(system)
{
    public override int Identifier => RuntimeSerializer.Id;
}

public sealed class ForgedDeployment(ExtendedActorSystem system) : ForgingSerializer(system)
{
    public override int Identifier => DeploymentSerializer.Id;
}

/// <summary>Collects the refusals of our wire serializers that the node logs.</summary>
internal sealed class LogListener : ReceiveActor
{
    public LogListener(System.Collections.Concurrent.ConcurrentQueue<string> seen) =>
        Receive<Akka.Event.LogEvent>(e =>
        {
            // The refusal our serializer gave, under Akka's wrappers.
            for (var cause = e.Cause; cause is not null; cause = cause.InnerException)
                if (cause is System.Runtime.Serialization.SerializationException && cause.Message.Split(':')[0] is "RuntimeSerializer" or "DeploymentSerializer")
                {
                    seen.Enqueue(cause.Message);
                    return;
                }
        });
}

/// <summary>
/// A mesh node that receives corrupt frames over a real connection (truncated, malformed, oversized, for every
/// message type) stays up: it refuses each one, keeps its association with the sender and its cluster membership, and
/// answers the next well-formed message.
/// </summary>
public class CorruptFrameTests
{
    private static async Task AwaitCount(System.Collections.Concurrent.ConcurrentQueue<string> seen, int count)
    {
        // The log is asynchronous: the last refusals may be published just after the answer to Identify.
        for (int i = 0; i < 100 && seen.Count < count; i++) await Task.Delay(50);
    }

    [Fact]
    public async Task A_node_sent_corrupt_frames_of_every_message_type_stays_up_and_answers()
    {
        await using var node = await TestCluster.StartAsync(1, extra: TestCluster.Lenient + "\nakka.loglevel = WARNING");
        var target = node.Systems[0];
        // The forger's wire serializers are replaced by ones that send whatever bytes they are given.
        var forger = ActorSystem.Create(ClusterNodeConfig.SystemName, TestCluster.Config($$"""
            {{TestCluster.Lenient}}
            akka.actor.serializers.hybridspike-runtime = "{{typeof(ForgedRuntime).AssemblyQualifiedName}}"
            akka.actor.serializers.hybridspike-deployment = "{{typeof(ForgedDeployment).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings {
              "{{typeof(Forged).AssemblyQualifiedName}}" = hybridspike-runtime
              "{{typeof(ForgedHosting).AssemblyQualifiedName}}" = hybridspike-deployment
            }
            """));
        try
        {
            var refusals = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var listener = target.ActorOf(Props.Create(() => new LogListener(refusals)));
            target.EventStream.Subscribe(listener, typeof(Akka.Event.Error));
            target.EventStream.Subscribe(listener, typeof(Akka.Event.Warning));
            Akka.Cluster.Cluster.Get(forger).Join(ClusterMesh.SelfAddress(target));
            Assert.Equal(2, (await ClusterMesh.WaitForNodesAsync(target, 2, TimeSpan.FromSeconds(30), CancellationToken.None)).Length);
            var meshNode = forger.ActorSelection($"{ClusterMesh.SelfAddress(target)}/user/{ClusterMesh.NodeActorName}");

            // For every manifest: nothing, a truncated array, a byte never used, an extension, a length far past the frame, deep nesting.
            byte[][] corrupt =
            [
                [], [0x95, 0x01], [0xc1], [0x91, 0xd4, 100, 0x01], [0xdd, 0x7f, 0xff, 0xff, 0xff],
                [.. Enumerable.Repeat((byte)0x91, 1000), 0x00],
            ];
            string[] runtime = ["P", "I", "S", "TS", "ST", "CT", "W", "T", "C", "O", "PG", "TN", "TF", "TR", "TC", "no-such-manifest"];
            string[] hosting = ["H", "HC", "WC", "CW", "F", "E", "no-such-manifest"];
            int sent = 0;
            foreach (var bytes in corrupt)
            {
                foreach (var manifest in runtime) { meshNode.Tell(new Forged(manifest, bytes)); sent++; }
                foreach (var manifest in hosting) { meshNode.Tell(new ForgedHosting(manifest, bytes)); sent++; }
            }

            // The frames went before this one on the same connection; the node answers it.
            var identity = await meshNode.Ask<ActorIdentity>(new Identify("after"), TimeSpan.FromSeconds(20));
            Assert.Equal("after", identity.MessageId);
            Assert.NotNull(identity.Subject);
            Assert.Equal(6 * 23, sent);
            // Each forged frame reached our serializer on the node and was refused there, naming its message.
            await AwaitCount(refusals, sent);
            Assert.Equal(sent, refusals.Count);
            var self = Akka.Cluster.Cluster.Get(target);
            Assert.Equal(2, self.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
            Assert.Empty(self.State.Unreachable);
            Assert.False(target.WhenTerminated.IsCompleted);
        }
        finally
        {
            await forger.Terminate();
        }
    }
}
