namespace HybridSpike.Core.Numerics;

/// <summary>An immutable dense row-major matrix of doubles (weights, LMU matrices).</summary>
public sealed record Matrix
{
    private readonly double[] _values;

    private Matrix(int rows, int columns, double[] values)
    {
        Rows = rows; Columns = columns; _values = values;
    }

    public int Rows { get; }
    public int Columns { get; }

    /// <summary>Row-major values: element (i, j) at i·Columns + j.</summary>
    public ReadOnlyMemory<double> Values => _values;

    public double this[int row, int column] => _values[row * Columns + column];

    public ReadOnlySpan<double> Row(int row) => _values.AsSpan(row * Columns, Columns);

    /// <summary>Copies <paramref name="values"/> (row-major).</summary>
    public static Matrix Create(int rows, int columns, ReadOnlySpan<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (values.Length != rows * columns)
            throw new ArgumentException($"a {rows}x{columns} matrix needs {rows * columns} values, got {values.Length}", nameof(values));
        return new Matrix(rows, columns, values.ToArray());
    }

    public static Matrix Create(int rows, int columns, Func<int, int, double> element)
    {
        var v = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                v[i * columns + j] = element(i, j);
        return new Matrix(rows, columns, v);
    }

    /// <summary>Takes ownership of an array the caller will not touch again (internal, avoids a copy).</summary>
    internal static Matrix Wrap(int rows, int columns, double[] values) => new(rows, columns, values);

    public static Matrix Identity(int n) => Create(n, n, (i, j) => i == j ? 1 : 0);

    public double[] ToArray() => (double[])_values.Clone();

    public bool Equals(Matrix? other) =>
        other is not null && Rows == other.Rows && Columns == other.Columns && _values.AsSpan().SequenceEqual(other._values);

    public override int GetHashCode() => HashCode.Combine(Rows, Columns, _values.Length > 0 ? _values[0] : 0);

    public static Matrix operator *(Matrix a, Matrix b)
    {
        if (a.Columns != b.Rows) throw new ArgumentException($"cannot multiply {a.Rows}x{a.Columns} by {b.Rows}x{b.Columns}");
        var c = new double[a.Rows * b.Columns];
        int n = b.Columns;
        for (int i = 0; i < a.Rows; i++)
        {
            var ci = c.AsSpan(i * n, n);
            for (int k = 0; k < a.Columns; k++)
            {
                double aik = a._values[i * a.Columns + k];
                if (aik == 0) continue;
                var bk = b._values.AsSpan(k * n, n);
                for (int j = 0; j < n; j++) ci[j] += aik * bk[j];
            }
        }
        return new Matrix(a.Rows, n, c);
    }

    public static Matrix operator +(Matrix a, Matrix b) => Combine(a, b, 1, 1);
    public static Matrix operator -(Matrix a, Matrix b) => Combine(a, b, 1, -1);
    public static Matrix operator *(double s, Matrix a) => Combine(a, a, s, 0);

    private static Matrix Combine(Matrix a, Matrix b, double sa, double sb)
    {
        if (a.Rows != b.Rows || a.Columns != b.Columns) throw new ArgumentException($"shapes differ: {a.Rows}x{a.Columns} and {b.Rows}x{b.Columns}");
        var c = new double[a._values.Length];
        for (int i = 0; i < c.Length; i++) c[i] = sa * a._values[i] + sb * b._values[i];
        return new Matrix(a.Rows, a.Columns, c);
    }

    /// <summary>The maximum absolute column sum.</summary>
    public double OneNorm()
    {
        double best = 0;
        for (int j = 0; j < Columns; j++)
        {
            double s = 0;
            for (int i = 0; i < Rows; i++) s += Math.Abs(this[i, j]);
            best = Math.Max(best, s);
        }
        return best;
    }

    /// <summary>Solves this · X = <paramref name="b"/> by LU with partial pivoting.</summary>
    public Matrix Solve(Matrix b)
    {
        if (Rows != Columns || b.Rows != Rows) throw new ArgumentException($"cannot solve a {Rows}x{Columns} system for {b.Rows}x{b.Columns}");
        int n = Rows, m = b.Columns;
        var lu = ToArray();
        var x = b.ToArray();
        for (int k = 0; k < n; k++)
        {
            int p = k;
            for (int i = k + 1; i < n; i++) if (Math.Abs(lu[i * n + k]) > Math.Abs(lu[p * n + k])) p = i;
            if (lu[p * n + k] == 0) throw new ArithmeticException("matrix is singular");
            if (p != k)
            {
                for (int j = 0; j < n; j++) (lu[k * n + j], lu[p * n + j]) = (lu[p * n + j], lu[k * n + j]);
                for (int j = 0; j < m; j++) (x[k * m + j], x[p * m + j]) = (x[p * m + j], x[k * m + j]);
            }
            for (int i = k + 1; i < n; i++)
            {
                double f = lu[i * n + k] / lu[k * n + k];
                if (f == 0) continue;
                for (int j = k; j < n; j++) lu[i * n + j] -= f * lu[k * n + j];
                for (int j = 0; j < m; j++) x[i * m + j] -= f * x[k * m + j];
            }
        }
        for (int k = n - 1; k >= 0; k--)
            for (int j = 0; j < m; j++)
            {
                double s = x[k * m + j];
                for (int i = k + 1; i < n; i++) s -= lu[k * n + i] * x[i * m + j];
                x[k * m + j] = s / lu[k * n + k];
            }
        return new Matrix(n, m, x);
    }

    /// <summary>
    /// e^M by scaling and squaring with the degree-13 Padé approximant (Higham 2005, "The scaling
    /// and squaring method for the matrix exponential revisited"; θ₁₃ = 5.371920351148152).
    /// </summary>
    public Matrix Exp()
    {
        if (Rows != Columns) throw new ArgumentException($"exp needs a square matrix, got {Rows}x{Columns}");
        ReadOnlySpan<double> c =
        [
            64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
            10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
        ];
        const double theta13 = 5.371920351148152;
        int s = Math.Max(0, (int)Math.Ceiling(Math.Log2(OneNorm() / theta13)));
        var a = Math.Pow(2, -s) * this;
        var id = Identity(Rows);
        var a2 = a * a; var a4 = a2 * a2; var a6 = a4 * a2;
        var u = a * (a6 * (c[13] * a6 + c[11] * a4 + c[9] * a2) + c[7] * a6 + c[5] * a4 + c[3] * a2 + c[1] * id);
        var v = a6 * (c[12] * a6 + c[10] * a4 + c[8] * a2) + c[6] * a6 + c[4] * a4 + c[2] * a2 + c[0] * id;
        var r = (v - u).Solve(v + u);
        for (int k = 0; k < s; k++) r *= r;
        return r;
    }

    public Matrix Transpose() => Create(Columns, Rows, (i, j) => this[j, i]);
}
