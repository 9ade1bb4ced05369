namespace CrmEtl.Connectors;

/// <summary>
/// The numeric ids a full pass has seen, for reconciling deletions at its end. A CRM's ids are mostly
/// dense, so they are kept as bits in 64-id words: a million activities take about half a megabyte
/// instead of the tens a set of longs would (what kept a 1M-deal sync's memory growing).
/// </summary>
internal sealed class IdSet
{
    private readonly Dictionary<long, ulong> _words = [];

    public void Add(long id)
    {
        ref var word = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_words, id >> 6, out _);
        word |= 1UL << (int)(id & 63);
    }

    public bool Contains(long id) => _words.TryGetValue(id >> 6, out var word) && (word & (1UL << (int)(id & 63))) != 0;
}
