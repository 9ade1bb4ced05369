using System.Runtime.CompilerServices;
using CrmEtl.Core.Sync;

namespace CrmEtl.Connectors.Streams;

/// <summary>
/// Reading a paged list to its end, whatever the CRM's paging style: a position names a page (a
/// cursor, an offset, a page number or page token, the URL of <c>_links.next</c>; null for the first),
/// and each page says where the next one is. The styles differ only in those two functions.
/// </summary>
internal static class Paging
{
    /// <param name="fetch">The page at a position; null when there is nothing there (e.g. an empty list answered 204).</param>
    /// <param name="read">A page's items (which may be none, e.g. all read before), and the position of the next page (null after the last). It is given the page's own position.</param>
    public static async IAsyncEnumerable<TItem> AllAsync<TPage, TItem>(
        StreamStats stats, Func<string?, CancellationToken, Task<TPage?>> fetch, Func<TPage, string?, (IReadOnlyList<TItem> Items, string? Next)> read,
        [EnumeratorCancellation] CancellationToken ct)
        where TPage : class
    {
        string? position = null;
        do
        {
            if (await fetch(position, ct) is not { } page) yield break;
            var (items, next) = read(page, position);
            stats.AddRead(items.Count);
            foreach (var item in items) yield return item;
            position = next;
        } while (position is not null);
    }
}
