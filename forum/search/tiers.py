"""The most voted, or the newest, matches first, exactly, without scoring every match.

A search sorted by votes or by date that stops at the scan cap shows the first of the
matches it saw, which are the shortest (bounded.py), not the first of all. Here the
search runs again within tiers of the index's documents by that column: first only the
documents with at least `t` votes (or created at `t` or later), for a `t` that a few
thousand documents reach, then a lower `t` if that tier holds too few of the page's
threads. Every document outside a tier comes after every one inside in that order, so
once a tier holds the page's threads that page is the uncapped search's page, and its
cost follows the tier's size, not the number of matches.

The tiers are each segment's documents by its column, read once per segment and kept as
long as it (kept.py).
"""

from __future__ import annotations

import bisect
from array import array
from itertools import compress
from typing import Any

from whoosh import query as wq
from whoosh.matching import mcore
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from forum.search.bounded import Scan, capped_search
from forum.search.conjunction import AllOf
from forum.search.counting import segment_column, whole_column
from forum.search.kept import kept

# Each tier's documents, roughly (ties join a tier), in scan caps: no tier has more
# matches than the cap. At scale L a word frequent enough to reach the cap has hundreds
# of matches in the largest tier, and a very common one a page's worth in the first.
TIERS = (1 / 8, 1 / 2, 1)
SAMPLE = 100_000  # values a segment's thresholds are read from
TIER_COLUMNS = {"votes": "votes", "newest": "created"}  # the column each sort leads with
NO_TIER_UNDER = {"votes": 1}  # votes: a tier of 0 votes would be nearly every document


class _Segment:
    """One segment's values of a column per document, and the documents of each tier
    asked for."""

    def __init__(self, reader: IndexReader, column: str) -> None:
        self.values = column_values(reader, column)
        self.tiers: dict[int, array[int]] = {}

    def at_least(self, threshold: int) -> array[int]:
        """This segment's document numbers with at least `threshold`, in order (one
        pass in C: at scale L a segment has 1.45 million)."""
        found = self.tiers.get(threshold)
        if found is None:
            found = array("I", compress(range(len(self.values)),
                                        map(threshold.__le__, self.values)))
            self.tiers[threshold] = found
        return found

    def thresholds(self, cap: int, lowest: int) -> list[int]:
        """Values that about `cap` * TIERS[i] of this segment's documents have or pass,
        highest first; none under `lowest`. Read off an even sample of SAMPLE values
        (the tiers' sizes are rough anyway): sorting every value of a large segment
        took half a second and tens of megabytes."""
        step = max(1, len(self.values) // SAMPLE)
        ordered = sorted(self.values[::step], reverse=True)
        found: list[int] = []
        for size in (max(1, int(cap * share)) for share in TIERS):
            at = max(1, size // step) - 1
            if size < len(self.values) and at < len(ordered) and ordered[at] >= lowest and (
                    ordered[at] not in found):
                found.append(ordered[at])
        return found


def segment_tiers(reader: IndexReader, column: str) -> _Segment:
    """This segment's values of `column` and its tiers, kept as long as the segment."""
    return kept(reader, ("tiers", column), lambda: _Segment(reader, column))


def column_values(reader: IndexReader, name: str) -> array[int]:
    """Every document's value of the numeric column `name` in this segment, as Whoosh
    sorts on it (a date as its sortable number), in one read where it can."""
    count = reader.doc_count_all()
    if not reader.has_column(name):
        return array("i", bytes(4 * count))
    column = segment_column(reader, name)
    values = whole_column(column, count)
    if values is not None:
        return values
    return array("q", (int(column.sort_key(docnum)) for docnum in range(count)))


def thresholds(searcher: Searcher, column: str, cap: int) -> list[int]:
    """The tiers' thresholds of `column` for a scan cap of `cap` documents, highest first,
    from the index's largest segment (the rebuilt one; the others hold new documents)."""
    largest = max((leaf.reader() for leaf, _offset in searcher.leaf_searchers()),
                  key=lambda reader: reader.doc_count_all())
    return kept(largest, ("thresholds", column, cap), lambda: segment_tiers(largest, column)
                .thresholds(cap, NO_TIER_UNDER.get(column, 0)))


class _DocnumMatcher(mcore.ListMatcher):
    """A sorted list of document numbers, skipped through by binary search."""

    def skip_to(self, id: int) -> None:
        if not self.is_active():
            raise mcore.ReadTooFar
        self._i = bisect.bisect_left(self._ids, id, self._i)

    def supports_block_quality(self) -> bool:
        return False


class AtLeast(wq.Query):
    """Documents whose numeric column `column` is at least `threshold`; scores 0."""

    def __init__(self, column: str, threshold: int) -> None:
        self.column = column
        self.threshold = threshold
        self.boost = 1.0

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and (other.column, other.threshold)  # type: ignore[attr-defined]
                == (self.column, self.threshold))

    def __hash__(self) -> int:
        return hash((type(self), self.column, self.threshold))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.column!r}, {self.threshold})"

    def estimate_size(self, ixreader: IndexReader) -> int:
        return sum(len(segment_tiers(reader, self.column).at_least(self.threshold))
                   for reader, _offset in ixreader.leaf_readers())

    def matcher(self, searcher: Searcher, context: Any = None) -> mcore.Matcher:
        found = segment_tiers(searcher.reader(), self.column).at_least(self.threshold)
        return _DocnumMatcher(found, all_weights=0.0) if found else mcore.NullMatcher()


def first_by(searcher: Searcher, column: str, whole: wq.Query, *, limit: int,
             sortedby: Any, wanted: int, cap: int, step_cap: int) -> Scan | None:
    """The top `limit` documents of `whole` sorted by `column` (highest first, then
    `sortedby`'s ties), exactly, from the smallest tier that holds `wanted` of its
    threads; None when none does within the caps (the caller falls back to the capped
    scan). The scan's thread count covers the tier only."""
    scanned = 0
    for threshold in thresholds(searcher, column, cap):
        scan = capped_search(searcher, AllOf([AtLeast(column, threshold), whole]), limit=limit,
                             sortedby=sortedby, cap=cap, count_up_to=wanted,
                             step_cap=step_cap)
        scanned += scan.scanned
        if scan.capped:
            return None
        if scan.threads.total >= wanted:
            return Scan(scan.results, scanned, False, scan.threads)
    return None
