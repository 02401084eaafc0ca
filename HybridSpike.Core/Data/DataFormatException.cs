namespace HybridSpike.Core.Data;

/// <summary>A data file is missing, truncated or not what it claims to be. The message names the file and the problem.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string message) : base(message) { }
    public DataFormatException(string message, Exception inner) : base(message, inner) { }
}
