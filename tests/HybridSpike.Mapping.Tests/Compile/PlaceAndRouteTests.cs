using System.Collections.Immutable;
using HybridSpike.Mapping.Compile;
using HybridSpike.Mapping.Routing;
using HybridSpike.Mapping.Profiles;
using HybridSpike.Core.Network;
using HybridSpike.Core.Numerics;

namespace HybridSpike.Mapping.Tests.Compile;

public class PlaceAndRouteTests
{
    private static readonly HardwareProfile Test = HybridSpike.Mapping.Profiles.Profiles.Get("test"); // 2x2 chips of 2x2 cores

    private static SplitNetwork Chain(int units)
    {
        var net = new NetworkDescription(
            [new Population("a", units, Activation.Relu, 2.0, [], InitialStateMode.Uniform, 1), new Population("b", 4, Activation.Linear, null, [], InitialStateMode.Zeros, 0)],
            [new Connection("input", "a", new DenseWeights(Matrix.Create(units, 1, (_, _) => 1)), Delay.SameStep),
             new Connection("a", "b", new DenseWeights(Matrix.Create(4, units, (_, s) => s % 16 == 0 ? 1 : 0)), Delay.SameStep)], // b reads one unit per piece of a
            new InputMapping(1, "t"), new OutputMapping("b", OutputMapping.LastStep));
        return Split.Run(net, Test);
    }

    [Fact]
    public void Sequential_placement_fills_a_chip_row_by_row_then_the_next_chip()
    {
        Assert.Equal((0, 0, 0, 0, 0, 0), Fields(SequentialPlacement.Address(Test.Layout, 0)));
        Assert.Equal((0, 0, 1, 0, 1, 0), Fields(SequentialPlacement.Address(Test.Layout, 1)));
        Assert.Equal((0, 0, 0, 1, 0, 1), Fields(SequentialPlacement.Address(Test.Layout, 2)));
        Assert.Equal((1, 0, 0, 0, 2, 0), Fields(SequentialPlacement.Address(Test.Layout, 4)));   // second chip, to the east
        Assert.Equal((1, 1, 1, 1, 3, 3), Fields(SequentialPlacement.Address(Test.Layout, 15)));  // last core of the last chip
    }

    private static IRouter Route(PlacedNetwork placed) => Routers.For(Test, Topologies.For(Test), placed);

    private static (int, int, int, int, int, int) Fields(CoreAddress a) => (a.ChipX, a.ChipY, a.CoreX, a.CoreY, a.X, a.Y);

    [Fact]
    public void Every_piece_gets_its_own_core_in_order()
    {
        var placed = new SequentialPlacement().Place(PlacementContext.For(Chain(40))); // a: 16+16+8, b: 4
        Assert.Equal([0, 1, 2, 3], placed.Placements.Select(p => p.Core.Index));
        Assert.Equal(["a", "a", "a", "b"], placed.Placements.Select(p => p.Piece.Population));
    }

    [Fact]
    public void More_pieces_than_cores_is_an_error_naming_the_profile()
    {
        var e = Assert.Throws<CompileException>(() => new SequentialPlacement().Place(PlacementContext.For(Chain(16 * 16 + 1))));
        Assert.Contains("profile 'test' has (16)", e.Message);
    }

    [Fact]
    public void XY_routing_goes_along_x_first_then_y_and_counts_chip_crossings()
    {
        var from = SequentialPlacement.Address(Test.Layout, 0);   // (0, 0)
        var to = SequentialPlacement.Address(Test.Layout, 15);    // (3, 3)
        var mesh = new Mesh2D(Test.Layout);
        var path = DimensionOrderRouter.Path(mesh.NodeOf(from), mesh.NodeOf(to));
        Assert.Equal(6, path.Length);
        Assert.Equal("EEESSS", string.Concat(path.Select(mesh.Direction)));
        Assert.True(Routers.CrossesChips(from, to));
        Assert.Empty(DimensionOrderRouter.Path(mesh.NodeOf(from), mesh.NodeOf(from)));
    }

    [Fact]
    public void A_placed_network_has_one_route_per_connected_core_pair()
    {
        var routed = RoutedNetwork.Of(Route(new SequentialPlacement().Place(PlacementContext.For(Chain(40)))));
        // a's three pieces each send to b's one piece; the input is not routed on the mesh.
        Assert.Equal([(0, 3), (1, 3), (2, 3)], routed.Routes.Select(r => (r.From.Index, r.To.Index)));
        Assert.Equal([2, 1, 1], routed.Routes.Select(r => r.Hops)); // (0,0)->(1,1), (1,0)->(1,1), (0,1)->(1,1)
    }

    [Fact]
    public void Random_placement_puts_pieces_on_distinct_cores_drawn_by_its_seed()
    {
        var split = Chain(40); // 4 pieces on 16 cores
        var a = new RandomPlacement(5).Place(PlacementContext.For(split));
        Assert.Equal("random(5)", new RandomPlacement(5).Name);
        Assert.Equal(split.Pieces, a.Placements.Select(p => p.Piece));                                  // pieces in order
        Assert.Equal(4, a.Placements.Select(p => p.Core.Index).Distinct().Count());
        Assert.All(a.Placements, p => Assert.Equal(SequentialPlacement.Address(Test.Layout, p.Core.Index), p.Core));
        Assert.Equal(a.Placements.ToArray(), new RandomPlacement(5).Place(PlacementContext.For(split)).Placements.ToArray());                      // one seed, one placement
        var seeds = Enumerable.Range(0, 20).Select(s => string.Join(",", new RandomPlacement((ulong)s).Place(PlacementContext.For(split)).Placements.Select(p => p.Core.Index)));
        Assert.True(seeds.Distinct().Count() > 10, "seeds should spread the pieces differently");
        // Its routes join the cores where the pieces actually are.
        var routed = RoutedNetwork.Of(Route(a));
        Assert.All(routed.Routes, r => Assert.Contains(a.Placements, p => p.Core == r.To));
        var e = Assert.Throws<CompileException>(() => new RandomPlacement(1).Place(PlacementContext.For(Chain(16 * 16 + 1))));
        Assert.Contains("profile 'test' has (16)", e.Message);
    }
}
