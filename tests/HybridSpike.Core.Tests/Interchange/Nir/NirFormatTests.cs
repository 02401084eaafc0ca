using HybridSpike.Core.Interchange.Nir;
using PureHDF;

namespace HybridSpike.Core.Tests.Interchange.Nir;

/// <summary>A damaged or malformed file is refused with a message naming the file, the node and the field.</summary>
public sealed class NirFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hs-nir-format-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(H5Group nodes, string[,] edges)
    {
        var path = Path.Combine(_dir, "bad.nir");
        new H5File { ["version"] = "1.0.7", ["node"] = new H5Group { ["type"] = "NIRGraph", ["nodes"] = nodes, ["edges"] = edges } }.Write(path);
        return path;
    }

    private static H5Group Shape(string type, long n) => new() { ["type"] = type, ["shape"] = new long[] { n } };

    [Fact]
    public void A_node_without_a_type_is_refused_naming_it()
    {
        var path = Write(new H5Group { ["input"] = Shape("Input", 2), ["mystery"] = new H5Group { ["weight"] = new double[,] { { 1, 2 } } } }, new[,] { { "input", "mystery" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Equal($"{path}: /node/nodes/mystery: node 'mystery' has no dataset 'type' (every NIR node names its primitive)", e.Message);
    }

    [Fact]
    public void A_bias_of_the_wrong_shape_is_refused_naming_the_field()
    {
        var affine = new H5Group { ["type"] = "Affine", ["weight"] = new double[,] { { 1, 2 }, { 3, 4 } }, ["bias"] = new double[] { 1, 2, 3 } };
        var path = Write(new H5Group { ["input"] = Shape("Input", 2), ["a"] = affine }, new[,] { { "input", "a" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Contains("/node/nodes/a/bias: Affine 'a': bias has shape [3], the weight [2, 2] needs [2]", e.Message);
    }

    [Fact]
    public void A_one_dimensional_weight_is_refused_naming_the_field()
    {
        var path = Write(new H5Group { ["input"] = Shape("Input", 2), ["l"] = new H5Group { ["type"] = "Linear", ["weight"] = new double[] { 1, 2 } } }, new[,] { { "input", "l" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Contains("/node/nodes/l/weight: node 'l': weight has shape [2]", e.Message);
    }

    [Fact]
    public void A_missing_parameter_is_refused_naming_it()
    {
        var path = Write(new H5Group { ["input"] = Shape("Input", 2), ["i"] = new H5Group { ["type"] = "I" } }, new[,] { { "input", "i" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Contains("/node/nodes/i: node 'i' has no dataset 'r'", e.Message);
    }

    [Fact]
    public void An_edge_to_a_missing_node_is_refused_naming_it()
    {
        var path = Write(new H5Group { ["input"] = Shape("Input", 2) }, new[,] { { "input", "ghost" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Contains("edge 0 ('input' -> 'ghost') names node 'ghost'", e.Message);
    }

    [Fact]
    public void A_parameter_the_reader_does_not_know_is_refused_not_ignored()
    {
        var neuron = new H5Group { ["type"] = "IF", ["r"] = new[] { 1.0 }, ["v_threshold"] = new[] { 1.0 }, ["reset_mode"] = "subtract" };
        var path = Write(new H5Group { ["input"] = Shape("Input", 1), ["n"] = neuron }, new[,] { { "input", "n" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Contains("IF node 'n' has a parameter this reader does not know ('reset_mode'", e.Message);
    }

    [Fact]
    public void A_type_that_is_no_NIR_primitive_is_refused_naming_it()
    {
        var path = Write(new H5Group { ["input"] = Shape("Input", 1), ["x"] = new H5Group { ["type"] = "Softmax" } }, new[,] { { "input", "x" } });
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Contains("node 'x' has type 'Softmax', which is no NIR primitive", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_HDF5_is_refused()
    {
        var path = Path.Combine(_dir, "text.nir");
        File.WriteAllText(path, "this is a text file, not HDF5, padded to be long enough to have a superblock");
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.StartsWith($"{path}: not an HDF5 file", e.Message);
    }

    [Fact]
    public void An_HDF5_file_without_a_node_group_is_refused()
    {
        var path = Path.Combine(_dir, "other.h5");
        new H5File { ["data"] = new double[] { 1, 2 } }.Write(path);
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Equal($"{path}: no group 'node' at the root: not a NIR file (NIR writes the graph as /node)", e.Message);
    }

    [Fact]
    public void A_missing_file_is_refused_naming_it()
    {
        var path = Path.Combine(_dir, "absent.nir");
        var e = Assert.Throws<NirFormatException>(() => NirFile.Read(path));
        Assert.Equal($"{path}: file not found", e.Message);
    }
}
