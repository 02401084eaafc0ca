using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using HybridSpike.Mapping.Compile;
using HybridSpike.Core.Dynamics;
using HybridSpike.Core.Network;

namespace HybridSpike.Actors.Runtime;

/// <summary>What one core of a compiled mesh runs, whatever the run: its piece, its incoming weights in the kernel's layout, where its payloads go.</summary>
internal sealed record PlacedCore(int Population, int Start, int Count, ImmutableArray<IncomingConnection> Incoming, ImmutableArray<int> Destinations,
    Mapping.Routing.Tables.PacketLookup? Lookup);

/// <summary>
/// The run-independent part of a mesh run, built once per compiled mesh and shared by every run of it
/// (a service runs the same mesh again and again; the weights' kernel layout is the costly part).
/// </summary>
internal sealed class MeshPlan
{
    private static readonly ConditionalWeakTable<CompiledMesh, MeshPlan> Plans = [];

    public ImmutableArray<PlacedCore> Cores { get; }

    /// <summary>The cores the network input feeds.</summary>
    public ImmutableArray<int> FedByInput { get; }

    public static MeshPlan For(CompiledMesh mesh) => Plans.GetValue(mesh, m => new MeshPlan(m));

    private MeshPlan(CompiledMesh mesh)
    {
        var net = mesh.Network;
        var fixedNet = mesh.Discretized.FixedPoint();
        bool densePairs = HybridSpike.Core.Reference.FixedPointSimulator.DensePairsFor(fixedNet);
        var placements = mesh.Routed.Placed.Placements;
        var lookups = new NetworkIndex(fixedNet.Network);
        var pieceCount = placements.GroupBy(p => p.Piece.Population).ToDictionary(g => g.Key, g => g.Count());
        var cores = ImmutableArray.CreateBuilder<PlacedCore>(placements.Length);
        foreach (var placement in placements)
        {
            var piece = placement.Piece;
            // The piece's weights in the kernel's layout come from the one place that slices them (CorePlan.ForPiece);
            // the mesh adds how many cores send each source.
            var plan = CorePlan.ForPiece(fixedNet, lookups, lookups.PopulationIndex(piece.Population), piece.Start, piece.Count, densePairs);
            var incoming = plan.Incoming.Select(c => new IncomingConnection(c.Source, c.SourceSize,
                c.Source < 0 ? 1 : pieceCount[net.Populations[c.Source].Name], c.OneStep, c.SourceOmega, c.Weights, c.RowExponents, c.Integrates));
            var destinations = mesh.Router.Resolve(cores.Count).Destinations; // cores.Count: this placement's index
            // On table-routed profiles each core routes its packets by lookup at run time (its destinations: the walk's).
            var lookup = (mesh.Router as Mapping.Routing.Tables.TableRouter)?.LookupFor(cores.Count);
            cores.Add(new PlacedCore(plan.PopulationIndex, piece.Start, piece.Count, [.. incoming], [.. destinations], lookup));
        }
        Cores = cores.MoveToImmutable();
        FedByInput = [.. Enumerable.Range(0, Cores.Length).Where(k => Cores[k].Incoming.Any(c => c.Source == -1))];
    }
}
