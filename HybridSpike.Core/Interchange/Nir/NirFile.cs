using System.Collections.Immutable;
using HybridSpike.Core.Artifact;
using PureHDF;

namespace HybridSpike.Core.Interchange.Nir;

/// <summary>
/// Reads and writes NIR's HDF5 layout (nir.serialization of NIR 1.0.x; docs/nir.md): the root holds a string dataset
/// <c>version</c> and a group <c>node</c>, the graph. Every node is a group with a string dataset <c>type</c>, one
/// dataset per parameter and an optional <c>metadata</c> group; a graph holds a group <c>nodes</c> and a string dataset
/// <c>edges</c> of shape [edges, 2]. Input and Output store their shape as <c>shape</c>.
/// </summary>
public static class NirFile
{
    /// <summary>
    /// The NIR version this writer names: its layout is 1.0.6's and 1.0.7's, the first with IF's <c>v_reset</c> (the
    /// reset to a value, NIR #129).
    /// </summary>
    public const string WrittenVersion = "1.0.7";

    /// <summary>The largest file the reader opens (the artifact's limit: a NIR file of a network is of the same size).</summary>
    public const long MaxFileBytes = ArtifactLimits.MaxFileBytes;

    /// <summary>The most values one dataset may declare; checked before it is read, so a forged shape cannot exhaust memory.</summary>
    public const long MaxValuesPerDataset = ArtifactLimits.MaxWeightsPerConnection;

    /// <summary>The most nodes of one graph.</summary>
    public const int MaxNodes = 100_000;

    // Parameters of the node types this library models; 'type' and 'metadata' are every node's, and input_type /
    // output_type are shapes some writers derive and store (NIR recomputes them; so does the importer).
    private static readonly Dictionary<string, string[]> KnownParameters = new(StringComparer.Ordinal)
    {
        ["Input"] = ["shape"], ["Output"] = ["shape"], ["Affine"] = ["weight", "bias"], ["Linear"] = ["weight"],
        ["Scale"] = ["scale"], ["Delay"] = ["delay"], ["I"] = ["r"], ["LI"] = ["tau", "r", "v_leak"],
        ["IF"] = ["r", "v_threshold", "v_reset"], ["NIRGraph"] = ["nodes", "edges"],
    };

    private static readonly HashSet<string> EveryNode = new(StringComparer.Ordinal) { "type", "metadata", "input_type", "output_type" };

    /// <summary>NIR 1.0's primitives this library reads without modelling them (<see cref="NirOtherNode"/>): the mapping refuses them by name.</summary>
    public static ImmutableArray<string> OtherPrimitives { get; } =
        ["LIF", "CubaLI", "CubaLIF", "Conv1d", "Conv2d", "Flatten", "SumPool2d", "AvgPool2d", "Threshold"];

    /// <summary>
    /// Writes <paramref name="document"/> to <paramref name="path"/> atomically: the file is written next to it under a
    /// temporary name and renamed over it, so an existing file is replaced whole or left as it was. Numbers are
    /// float64 (shapes int64), uncompressed; strings are variable-length UTF-8, as h5py writes them.
    /// </summary>
    public static void Write(string path, NirDocument document)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(document);
        var file = new H5File { ["version"] = document.Version ?? WrittenVersion, ["node"] = Group(document.Graph) };
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                file.Write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Reads a NIR file. A file that is not HDF5, lacks the layout, or has a node whose parameters are missing or of the
    /// wrong kind or shape throws <see cref="NirFormatException"/>, its message starting with <paramref name="path"/> and
    /// naming the node and the field. Primitives this library does not model are read as <see cref="NirOtherNode"/>; a
    /// type that is no NIR primitive is refused here.
    /// </summary>
    public static NirDocument Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long length;
        try { length = new FileInfo(path).Length; }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw new NirFormatException($"{path}: file not found", e); }
        if (!File.Exists(path)) throw new NirFormatException($"{path}: file not found");
        if (length > MaxFileBytes) throw new NirFormatException($"{path}: the file has {length} bytes, over the limit of {MaxFileBytes}");
        PureHDF.VOL.Native.NativeFile file;
        try
        {
            file = H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not IOException and not UnauthorizedAccessException)
        {
            throw new NirFormatException($"{path}: not an HDF5 file ({e.Message}); a NIR file is HDF5 with a 'node' group and a 'version' dataset", e);
        }
        using (file)
        {
            var reader = new Reader(path);
            try
            {
                string? version = null;
                if (file.LinkExists("version"))
                {
                    var v = file.Get("version") as IH5Dataset ?? throw reader.Error("/version", "is not a dataset");
                    version = reader.Text(v, "/version");
                    if (version.Split('.')[0] is var major && major != "0" && major != "1")
                        throw reader.Error("/version", $"NIR {version}: this reader knows the layout of NIR 1.0.x");
                }
                if (!file.LinkExists("node")) throw new NirFormatException($"{path}: no group 'node' at the root: not a NIR file (NIR writes the graph as /node)");
                var root = file.Get("node") as IH5Group ?? throw reader.Error("/node", "is not a group");
                var node = reader.Node(root, "/node", "the graph");
                return node is NirGraph g ? new NirDocument(version, g)
                    : throw reader.Error("/node/type", $"the root node is a {node.Type}, not a NIRGraph");
            }
            catch (NirFormatException) { throw; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // PureHDF reports damage as plain exceptions: a truncated file, a corrupt header.
                throw new NirFormatException($"{path}: damaged or unreadable HDF5 ({e.Message})", e);
            }
        }
    }

    private sealed class Reader(string path)
    {
        public NirFormatException Error(string where, string what) => new($"{path}: {where}: {what}");

        public NirNode Node(IH5Group group, string where, string name)
        {
            if (!group.LinkExists("type")) throw Error(where, $"node {name} has no dataset 'type' (every NIR node names its primitive)");
            var typeSet = group.Get("type") as IH5Dataset ?? throw Error($"{where}/type", "is not a dataset");
            string type = Text(typeSet, $"{where}/type");
            var children = Children(group, where);
            var metadata = children.TryGetValue("metadata", out var m)
                ? m is IH5Group mg ? Metadata(mg, $"{where}/metadata") : throw Error($"{where}/metadata", "is not a group")
                : NirMetadata.Empty;
            if (KnownParameters.TryGetValue(type, out var known))
            {
                var unknown = children.Keys.Where(k => !EveryNode.Contains(k) && !known.Contains(k)).ToArray();
                // Refused, not skipped: a parameter this reader would ignore could change what the node computes (a
                // reset mode added to IF, say), and a silent change is what the mapping must never make.
                if (unknown.Length > 0)
                    throw Error(where, $"{type} node {name} has {Plural(unknown.Length, "parameter")} this reader does not know ({string.Join(", ", unknown.Select(u => $"'{u}'"))}; a {type} has {string.Join(", ", known)})");
            }
            NirNode node = type switch
            {
                "Input" => new NirInputNode(Shape(children, where, name)),
                "Output" => new NirOutputNode(Shape(children, where, name)),
                "Affine" => Affine(children, where, name),
                "Linear" => new NirLinearNode(Weight(children, where, name)),
                "Scale" => new NirScaleNode(Vector(children, "scale", where, name)),
                "Delay" => Delay(children, where, name),
                "I" => new NirIntegratorNode(Vector(children, "r", where, name)),
                "LI" => SameShapes(new NirLeakyIntegratorNode(Vector(children, "tau", where, name), Vector(children, "r", where, name), Vector(children, "v_leak", where, name)), where, name,
                    ("tau", n => n.Tau), ("r", n => n.R), ("v_leak", n => n.VLeak)),
                "IF" => IF(children, where, name),
                "NIRGraph" => Graph(children, where, name),
                _ when OtherPrimitives.Contains(type) => new NirOtherNode(type, [.. children.Keys.Where(k => !EveryNode.Contains(k)).Order(StringComparer.Ordinal)]),
                _ => throw Error($"{where}/type", $"node {name} has type '{type}', which is no NIR primitive (NIR 1.0: {string.Join(", ", KnownParameters.Keys.Concat(OtherPrimitives))})"),
            };
            return node with { Metadata = metadata };
        }

        private NirGraph Graph(Dictionary<string, IH5Object> children, string where, string name)
        {
            var nodesGroup = children.TryGetValue("nodes", out var ng)
                ? ng as IH5Group ?? throw Error($"{where}/nodes", "is not a group")
                : throw Error(where, $"graph {name} has no group 'nodes'");
            var nodeLinks = Children(nodesGroup, $"{where}/nodes");
            if (nodeLinks.Count > MaxNodes) throw Error($"{where}/nodes", $"{nodeLinks.Count} nodes, over the limit of {MaxNodes}");
            var nodes = new List<KeyValuePair<string, NirNode>>();
            foreach (var (key, child) in nodeLinks)
            {
                var g = child as IH5Group ?? throw Error($"{where}/nodes/{key}", "is not a group (every node is a group)");
                nodes.Add(new(key, Node(g, $"{where}/nodes/{key}", $"'{key}'")));
            }
            var edgeSet = children.TryGetValue("edges", out var es)
                ? es as IH5Dataset ?? throw Error($"{where}/edges", "is not a dataset")
                : throw Error(where, $"graph {name} has no dataset 'edges'");
            var edges = new List<NirEdge>();
            var dims = edgeSet.Space.Dimensions;
            bool empty = dims.Length > 0 && dims.Any(d => d == 0);
            if (!empty)
            {
                if (!IsText(edgeSet)) throw Error($"{where}/edges", $"edges must be strings (pairs of node names), found {edgeSet.Type.Class}");
                if (dims.Length != 2 || dims[1] != 2) throw Error($"{where}/edges", $"shape [{string.Join(", ", dims)}]: edges must have shape [edges, 2] (source, target)");
                CheckCount(dims, $"{where}/edges");
                var flat = edgeSet.Read<string[]>();
                for (int i = 0; i < flat.Length; i += 2) edges.Add(new NirEdge(flat[i], flat[i + 1]));
            }
            var graph = NirGraph.Create(nodes, edges);
            for (int i = 0; i < edges.Count; i++)
                foreach (var end in new[] { edges[i].Source, edges[i].Target })
                    if (!graph.Nodes.ContainsKey(end))
                        throw Error($"{where}/edges", $"edge {i} ('{edges[i].Source}' -> '{edges[i].Target}') names node '{end}', which graph {name} does not have");
            return graph;
        }

        private NirAffineNode Affine(Dictionary<string, IH5Object> children, string where, string name)
        {
            var weight = Weight(children, where, name);
            var bias = Tensor(children, "bias", where, name);
            // NIR's Affine: the bias has the weight's output shape (weight.shape[:-1]).
            var expected = weight.Shape.AsSpan(0, weight.Rank - 1);
            if (!bias.Shape.AsSpan().SequenceEqual(expected))
                throw Error($"{where}/bias", $"Affine {name}: bias has shape {bias.ShapeText}, the weight {weight.ShapeText} needs [{string.Join(", ", expected.ToArray())}]");
            return new NirAffineNode(weight, bias);
        }

        private NirDelayNode Delay(Dictionary<string, IH5Object> children, string where, string name)
        {
            var delay = Vector(children, "delay", where, name);
            for (int i = 0; i < delay.Values.Length; i++)
                if (!(delay.Values[i] >= 0 && double.IsFinite(delay.Values[i])))
                    throw Error($"{where}/delay", $"Delay {name}: delay {i} is {delay.Values[i]}; a delay is finite and not negative");
            return new NirDelayNode(delay);
        }

        private NirIFNode IF(Dictionary<string, IH5Object> children, string where, string name)
        {
            var r = Vector(children, "r", where, name);
            var threshold = Vector(children, "v_threshold", where, name);
            var reset = children.ContainsKey("v_reset") ? Vector(children, "v_reset", where, name) : null;
            var node = new NirIFNode(r, threshold, reset);
            return reset is null
                ? SameShapes(node, where, name, ("r", n => n.R), ("v_threshold", n => n.VThreshold))
                : SameShapes(node, where, name, ("r", n => n.R), ("v_threshold", n => n.VThreshold), ("v_reset", n => n.VReset!));
        }

        private T SameShapes<T>(T node, string where, string name, params (string Field, Func<T, NirTensor> Get)[] fields)
        {
            var first = fields[0].Get(node);
            foreach (var (field, get) in fields.Skip(1))
                if (!get(node).Shape.AsSpan().SequenceEqual(first.Shape.AsSpan()))
                    throw Error($"{where}/{field}", $"{typeof(T).Name.Replace("Nir", "").Replace("Node", "")} {name}: {field} has shape {get(node).ShapeText}, {fields[0].Field} has {first.ShapeText}; NIR needs them equal");
            return node;
        }

        private NirTensor Weight(Dictionary<string, IH5Object> children, string where, string name)
        {
            var w = Tensor(children, "weight", where, name);
            if (w.Rank < 2) throw Error($"{where}/weight", $"node {name}: weight has shape {w.ShapeText}; NIR's weights are at least two-dimensional [out, in]");
            return w;
        }

        private NirTensor Vector(Dictionary<string, IH5Object> children, string field, string where, string name)
        {
            var t = Tensor(children, field, where, name);
            if (t.Rank != 1) throw Error($"{where}/{field}", $"node {name}: {field} has shape {t.ShapeText}; it must be a vector (one value per element)");
            return t;
        }

        private ImmutableArray<long> Shape(Dictionary<string, IH5Object> children, string where, string name)
        {
            var t = Tensor(children, "shape", where, name);
            if (t.Rank != 1) throw Error($"{where}/shape", $"node {name}: shape is {t.ShapeText}-shaped; it must be a vector of dimensions");
            foreach (var d in t.Values)
                if (!(d >= 1 && d == Math.Floor(d) && d <= int.MaxValue)) throw Error($"{where}/shape", $"node {name}: dimension {d} is not a positive integer");
            return [.. t.Values.Select(d => (long)d)];
        }

        private NirTensor Tensor(Dictionary<string, IH5Object> children, string field, string where, string name)
        {
            if (!children.TryGetValue(field, out var o)) throw Error(where, $"node {name} has no dataset '{field}'");
            var d = o as IH5Dataset ?? throw Error($"{where}/{field}", "is not a dataset");
            return Numbers(d, $"{where}/{field}");
        }

        public NirTensor Numbers(IH5Dataset d, string where)
        {
            var dims = d.Space.Dimensions;
            CheckCount(dims, where);
            var values = d.Type.Class switch
            {
                H5DataTypeClass.FloatingPoint => d.Type.Size switch
                {
                    8 => d.Read<double[]>(),
                    4 => Array.ConvertAll(d.Read<float[]>(), v => (double)v),
                    2 => Array.ConvertAll(d.Read<Half[]>(), v => (double)v),
                    _ => throw Error(where, $"floating point of {d.Type.Size} bytes is not supported"),
                },
                H5DataTypeClass.FixedPoint => Integers(d, where).Select(v => (double)v).ToArray(),
                _ => throw Error(where, $"expected numbers, found {Kind(d)}"),
            };
            return new NirTensor([.. dims.Select(x => (long)x)], [.. values]);
        }

        public long[] Integers(IH5Dataset d, string where)
        {
            CheckCount(d.Space.Dimensions, where);
            bool signed = d.Type.FixedPoint.IsSigned;
            return (d.Type.Size, signed) switch
            {
                (1, true) => Array.ConvertAll(d.Read<sbyte[]>(), v => (long)v),
                (1, false) => Array.ConvertAll(d.Read<byte[]>(), v => (long)v),
                (2, true) => Array.ConvertAll(d.Read<short[]>(), v => (long)v),
                (2, false) => Array.ConvertAll(d.Read<ushort[]>(), v => (long)v),
                (4, true) => Array.ConvertAll(d.Read<int[]>(), v => (long)v),
                (4, false) => Array.ConvertAll(d.Read<uint[]>(), v => (long)v),
                (8, true) => d.Read<long[]>(),
                (8, false) => Array.ConvertAll(d.Read<ulong[]>(), v => v <= long.MaxValue ? (long)v : throw Error(where, $"{v} does not fit a signed 64-bit integer")),
                _ => throw Error(where, $"an integer of {d.Type.Size} bytes is not supported"),
            };
        }

        public string Text(IH5Dataset d, string where)
        {
            if (!IsText(d)) throw Error(where, $"expected a string, found {Kind(d)}");
            if (d.Space.Type != H5DataspaceType.Scalar && !(d.Space.Dimensions is [1])) throw Error(where, $"expected one string, found shape [{string.Join(", ", d.Space.Dimensions)}]");
            return d.Read<string[]>()[0];
        }

        private ImmutableSortedDictionary<string, NirValue> Metadata(IH5Group group, string where)
        {
            var entries = new List<KeyValuePair<string, NirValue>>();
            foreach (var (key, child) in Children(group, where))
                entries.Add(new(key, child switch
                {
                    IH5Group g => new NirGroupValue(Metadata(g, $"{where}/{key}")),
                    IH5Dataset d => Value(d, $"{where}/{key}"),
                    _ => new NirUnreadableValue("a link that is neither a group nor a dataset"),
                }));
            return NirMetadata.Of(entries);
        }

        private NirValue Value(IH5Dataset d, string where)
        {
            bool scalar = d.Space.Type == H5DataspaceType.Scalar;
            if (IsText(d))
            {
                CheckCount(d.Space.Dimensions, where);
                var texts = d.Read<string[]>();
                return scalar ? new NirTextValue(texts[0]) : new NirTextsValue([.. texts]);
            }
            switch (d.Type.Class)
            {
                case H5DataTypeClass.FloatingPoint:
                    return new NirFloatsValue(Numbers(d, where));
                case H5DataTypeClass.FixedPoint when scalar && d.Type.Size == 8 && !d.Type.FixedPoint.IsSigned:
                    return new NirUnsignedValue(d.Read<ulong>());
                case H5DataTypeClass.FixedPoint:
                    try { return new NirIntegersValue([.. d.Space.Dimensions.Select(x => (long)x)], [.. Integers(d, where)]); }
                    catch (NirFormatException e) { return new NirUnreadableValue(e.Message); }
                default:
                    // Metadata is advisory in NIR: an entry of another type is kept as a description, not refused.
                    return new NirUnreadableValue($"an HDF5 {d.Type.Class} of shape [{string.Join(", ", d.Space.Dimensions)}]");
            }
        }

        private Dictionary<string, IH5Object> Children(IH5Group group, string where)
        {
            var result = new Dictionary<string, IH5Object>(StringComparer.Ordinal);
            foreach (var child in group.Children())
            {
                if (result.Count >= MaxNodes) throw Error(where, $"more than {MaxNodes} entries");
                result[child.Name] = child;
            }
            return result;
        }

        private void CheckCount(ulong[] dims, string where)
        {
            double count = 1;
            foreach (var x in dims) count *= x;
            if (count > MaxValuesPerDataset) throw Error(where, $"shape [{string.Join(", ", dims)}] declares {count:G4} values, over the limit of {MaxValuesPerDataset}");
        }

        // HDF5 strings are either fixed-length (class String) or variable-length sequences of one-byte characters, as h5py
        // writes them; PureHDF reports the latter as VariableLength of a one-byte FixedPoint.
        private static bool IsText(IH5Dataset d) =>
            d.Type.Class == H5DataTypeClass.String
            || (d.Type.Class == H5DataTypeClass.VariableLength && d.Type.VariableLength.BaseType is { Class: H5DataTypeClass.FixedPoint, Size: 1 });

        private static string Kind(IH5Dataset d) => $"{(IsText(d) ? "strings" : d.Type.Class.ToString())} of shape [{string.Join(", ", d.Space.Dimensions)}]";

        private static string Plural(int n, string word) => n == 1 ? $"a {word}" : $"{n} {word}s";
    }

    private static H5Group Group(NirNode node)
    {
        var g = new H5Group { ["type"] = node.Type };
        switch (node)
        {
            case NirInputNode n: g["shape"] = n.Shape.ToArray(); break;
            case NirOutputNode n: g["shape"] = n.Shape.ToArray(); break;
            case NirAffineNode n: g["weight"] = Data(n.Weight); g["bias"] = Data(n.Bias); break;
            case NirLinearNode n: g["weight"] = Data(n.Weight); break;
            case NirScaleNode n: g["scale"] = Data(n.Scale); break;
            case NirDelayNode n: g["delay"] = Data(n.Delay); break;
            case NirIntegratorNode n: g["r"] = Data(n.R); break;
            case NirLeakyIntegratorNode n: g["tau"] = Data(n.Tau); g["r"] = Data(n.R); g["v_leak"] = Data(n.VLeak); break;
            case NirIFNode n:
                g["r"] = Data(n.R); g["v_threshold"] = Data(n.VThreshold);
                if (n.VReset is { } reset) g["v_reset"] = Data(reset);
                break;
            case NirGraph n:
                var nodes = new H5Group();
                foreach (var (name, child) in n.Nodes)
                {
                    if (name.Length == 0 || name.Contains('/') || name == ".")
                        throw new ArgumentException($"node name '{name}' cannot be an HDF5 link name (empty, '.', or containing '/')");
                    nodes[name] = Group(child);
                }
                g["nodes"] = nodes;
                var edges = new string[n.Edges.Length, 2];
                for (int i = 0; i < n.Edges.Length; i++) { edges[i, 0] = n.Edges[i].Source; edges[i, 1] = n.Edges[i].Target; }
                g["edges"] = edges;
                break;
            case NirOtherNode n:
                throw new ArgumentException($"a {n.Type} node cannot be written: this library reads it but does not model its parameters");
            default:
                throw new ArgumentException($"node type {node.GetType().Name} cannot be written");
        }
        // NIR's writer skips an empty metadata dictionary; so does this one.
        if (node.Metadata.Count > 0) g["metadata"] = MetadataGroup(node.Metadata);
        return g;
    }

    private static H5Group MetadataGroup(ImmutableSortedDictionary<string, NirValue> entries)
    {
        var g = new H5Group();
        foreach (var (key, value) in entries)
            g[key] = value switch
            {
                NirTextValue t => t.Value,
                NirTextsValue t => t.Values.ToArray(),
                NirFloatsValue f => Data(f.Tensor),
                NirIntegersValue i => i.Shape.IsEmpty ? i.Values[0] : new H5Dataset(i.Values.ToArray(), fileDims: [.. i.Shape.Select(x => (ulong)x)]),
                NirUnsignedValue u => u.Value,
                NirGroupValue sub => MetadataGroup(sub.Entries),
                _ => throw new ArgumentException($"metadata '{key}': a {value.GetType().Name} cannot be written"),
            };
        return g;
    }

    private static object Data(NirTensor t) =>
        t.Rank == 0 ? t.Values[0] : new H5Dataset(t.Values.ToArray(), fileDims: [.. t.Shape.Select(x => (ulong)x)]);
}
