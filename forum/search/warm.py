"""What a search reads once per segment, read when the index is opened, not by a search.

Every search reads a few things from each segment and keeps them as long as the segment
(kept.py): each field's lengths for scoring, the thread and facet columns for counting,
and, sorted by votes or date, the segment's values of that column and its tiers
(tiers.py). Read lazily, the first searches of a worker paid for them: at scale L the
first search sorted by newest took several times a later one, once per worker and per
sort, and again after a rebuild. A worker now reads them when it opens an index with a
segment it has nothing kept for: at its first search, and after each indexer commit only
for the new segment (a small one; the rebuilt segment's are kept).
"""

from __future__ import annotations

from whoosh.searching import Searcher

from forum.search.counting import FACETS, segment_column
from forum.search.kept import has_kept
from forum.search.scoring import field_lengths
from forum.search.tiers import TIER_COLUMNS, segment_tiers, thresholds


def warm(searcher: Searcher, scan_cap: int) -> int:
    """Read and keep what searches need of each segment not yet read; with a scan cap,
    the tiers as a capped search sorted by votes or date asks for them. Returns how
    many segments were read."""
    leaves = [leaf.reader() for leaf, _offset in searcher.leaf_searchers()]
    fresh = [reader for reader in leaves if not has_kept(reader)]
    scorable = [name for name, field in searcher.schema.items() if field.scorable]
    for reader in fresh:
        for fieldname in scorable:
            field_lengths(reader, fieldname)
        for column in ("thread_id", *FACETS):
            segment_column(reader, column)
    if scan_cap and fresh:
        for column in TIER_COLUMNS.values():
            for threshold in thresholds(searcher, column, scan_cap):
                for reader in fresh:
                    segment_tiers(reader, column).at_least(threshold)
    return len(fresh)
