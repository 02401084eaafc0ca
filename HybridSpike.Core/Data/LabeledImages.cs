using System.Collections.Immutable;

namespace HybridSpike.Core.Data;

/// <summary>
/// A set of grey-scale images with class labels, as loaded from IDX files: <see cref="Count"/>
/// images of <see cref="Rows"/>×<see cref="Columns"/> bytes (0..255), row-major, one after another.
/// </summary>
public sealed record LabeledImages
{
    public LabeledImages(string name, int rows, int columns, int classes, ReadOnlyMemory<byte> pixels, ReadOnlyMemory<byte> labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (pixels.Length != (long)labels.Length * rows * columns)
            throw new DataFormatException($"{name}: {labels.Length} labels need {(long)labels.Length * rows * columns} pixels of {rows}x{columns}, found {pixels.Length}");
        var span = labels.Span;
        for (int i = 0; i < span.Length; i++)
            if (span[i] >= classes)
                throw new DataFormatException($"{name}: label {span[i]} of image {i} is outside 0..{classes - 1}");
        Name = name; Rows = rows; Columns = columns; Classes = classes; Pixels = pixels; Labels = labels;
    }

    public string Name { get; }
    public int Rows { get; }
    public int Columns { get; }
    public int Classes { get; }
    public ReadOnlyMemory<byte> Pixels { get; }
    public ReadOnlyMemory<byte> Labels { get; }

    public int Count => Labels.Length;
    public int PixelsPerImage => Rows * Columns;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.Span.Slice(index * PixelsPerImage, PixelsPerImage);

    /// <summary>How many images of each class.</summary>
    public ImmutableArray<int> ClassCounts() => CountClasses(Enumerable.Range(0, Count));

    internal ImmutableArray<int> CountClasses(IEnumerable<int> indices)
    {
        var counts = new int[Classes];
        var labels = Labels.Span;
        foreach (var i in indices) counts[labels[i]]++;
        return ImmutableArray.Create(counts);
    }

    /// <summary>Builds a set from an images file (n×rows×cols) and a labels file (n).</summary>
    public static LabeledImages FromIdx(string name, IdxArray images, IdxArray labels, int classes = 10)
    {
        if (images.Dimensions.Length != 3)
            throw new DataFormatException($"{name}: images must have 3 dimensions (count, rows, columns), found [{string.Join(", ", images.Dimensions)}]");
        if (labels.Dimensions.Length != 1)
            throw new DataFormatException($"{name}: labels must have 1 dimension, found [{string.Join(", ", labels.Dimensions)}]");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new DataFormatException($"{name}: {images.Dimensions[0]} images but {labels.Dimensions[0]} labels");
        return new LabeledImages(name, images.Dimensions[1], images.Dimensions[2], classes, images.Data, labels.Data);
    }
}

/// <summary>A subset of a <see cref="LabeledImages"/> set, by index: a train, validation or test split.</summary>
public sealed record Split(string Name, LabeledImages Source, ImmutableArray<int> Indices)
{
    public int Count => Indices.Length;

    public int Label(int position) => Source.Labels.Span[Indices[position]];

    public ReadOnlySpan<byte> Image(int position) => Source.Image(Indices[position]);

    public ImmutableArray<int> ClassCounts() => Source.CountClasses(Indices);
}
