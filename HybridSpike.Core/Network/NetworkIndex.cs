using System.Collections.Immutable;

namespace HybridSpike.Core.Network;

/// <summary>
/// A network's lookups, built once: each population's index by name and the connections into each population, in
/// network order. Whatever plans every population or core (the golden simulator, the mesh, the offline traffic count)
/// reads them here; a scan of all connections per population is quadratic, minutes at 10^5 connections.
/// </summary>
public sealed class NetworkIndex
{
    private readonly Dictionary<string, int> _populations;
    private readonly ImmutableArray<ImmutableArray<int>> _into;

    public NetworkIndex(NetworkDescription network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        _populations = new Dictionary<string, int>(network.Populations.Length, StringComparer.Ordinal);
        for (int i = 0; i < network.Populations.Length; i++) _populations[network.Populations[i].Name] = i;
        var into = network.Populations.Select(_ => ImmutableArray.CreateBuilder<int>()).ToArray();
        for (int c = 0; c < network.Connections.Length; c++)
            if (_populations.TryGetValue(network.Connections[c].Target, out int t)) into[t].Add(c);
        _into = [.. into.Select(b => b.ToImmutable())];
    }

    public NetworkDescription Network { get; }

    /// <summary>The index of population <paramref name="name"/>; an unknown name is an error that names it.</summary>
    public int PopulationIndex(string name) =>
        _populations.TryGetValue(name, out int i) ? i : throw new KeyNotFoundException($"no population '{name}' in the network");

    /// <summary>The population index of <paramref name="connection"/>'s source, or −1 for the network input.</summary>
    public int SourceIndex(Connection connection) =>
        connection.Source == NetworkDescription.InputName ? -1 : PopulationIndex(connection.Source);

    /// <summary>The indices (into <see cref="NetworkDescription.Connections"/>) of the connections into population <paramref name="population"/>, in network order.</summary>
    public ImmutableArray<int> ConnectionsInto(int population) => _into[population];
}
