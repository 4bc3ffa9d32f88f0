"""The most voted matches first, exactly, without scoring every match.

A search sorted by votes that stops at the scan cap shows the most voted of the matches
it saw, which are the newest (bounded.py), not the most voted of all: at scale M a fifth
of those pages differed from an uncapped search. Here the search runs again within tiers
of the index's documents by votes: first only the documents with at least `t` votes, for
a `t` that a few thousand documents reach, then a lower `t` if that tier holds too few of
the page's threads. Every document outside a tier has fewer votes than every one inside,
so once a tier holds the page's threads that page is the uncapped search's page, and its
cost follows the tier's size, not the number of matches.

The tiers are each segment's documents by its `votes` column, read once per segment
reader and kept as long as it (like the columns of counting.py).
"""

from __future__ import annotations

import bisect
import struct
import threading
import weakref
from array import array
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq
from whoosh.matching import mcore
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from forum.search.bounded import Scan, capped_search
from forum.search.conjunction import AllOf

# Each tier's documents, roughly (ties join a tier), in scan caps: no tier has more
# matches than the cap. At scale L a word frequent enough to reach the cap has hundreds
# of matches in the largest tier, and a very common one a page's worth in the first.
TIERS = (1 / 8, 1 / 2, 1)


class _Segment:
    """One segment's votes per document, and the documents of each tier asked for."""

    def __init__(self, reader: IndexReader) -> None:
        self.votes = _votes(reader)
        self.tiers: dict[int, array[int]] = {}

    def at_least(self, threshold: int) -> array[int]:
        """This segment's document numbers with at least `threshold` votes, in order."""
        found = self.tiers.get(threshold)
        if found is None:
            found = array("I", (docnum for docnum, count in enumerate(self.votes)
                                if count >= threshold))
            self.tiers[threshold] = found
        return found

    def thresholds(self, cap: int) -> list[int]:
        """Votes that about `cap` * TIERS[i] of this segment's documents have or pass,
        highest first; none at 0 votes (that tier would be every document)."""
        ordered = sorted(self.votes, reverse=True)
        found: list[int] = []
        for size in (max(1, int(cap * share)) for share in TIERS):
            if size < len(ordered) and ordered[size - 1] > 0 and ordered[size - 1] not in found:
                found.append(ordered[size - 1])
        return found


_segments: weakref.WeakKeyDictionary[IndexReader, _Segment] = weakref.WeakKeyDictionary()
_thresholds: weakref.WeakKeyDictionary[IndexReader, dict[int, list[int]]] = (
    weakref.WeakKeyDictionary())
_lock = threading.Lock()


def _segment(reader: IndexReader) -> _Segment:
    with _lock:
        segment = _segments.get(reader)
        if segment is None:
            segment = _segments[reader] = _Segment(reader)
        return segment


def _votes(reader: IndexReader) -> Sequence[int]:
    """Every document's votes in this segment, in one read of the column when it is
    Whoosh's fixed-width numeric column (big-endian integers, the trailing zeros left
    out), else value by value."""
    if not reader.has_column("votes"):
        return array("i", bytes(4 * reader.doc_count_all()))
    column: Any = reader.column_reader("votes", translate=False)
    count = reader.doc_count_all()
    fields = ("_dbfile", "_basepos", "_count", "_typecode")
    if all(hasattr(column, name) for name in fields) and column._typecode == "i":
        stored = min(column._count, count)
        values = array("i", column._dbfile.get(column._basepos, stored * 4))
        if struct.pack("=i", 1) != struct.pack("!i", 1):
            values.byteswap()
        values.extend(array("i", bytes(4 * (count - stored))))
        return values
    return array("i", (int(value) for value in column))


def thresholds(searcher: Searcher, cap: int) -> list[int]:
    """The tiers' vote thresholds for a scan cap of `cap` documents, highest first, from
    the index's largest segment (the rebuilt one; the others hold new documents)."""
    largest = max((leaf.reader() for leaf, _offset in searcher.leaf_searchers()),
                  key=lambda reader: reader.doc_count_all())
    with _lock:
        found = _thresholds.get(largest, {}).get(cap)
    if found is None:
        found = _segment(largest).thresholds(cap)
        with _lock:
            _thresholds.setdefault(largest, {})[cap] = found
    return found


class _DocnumMatcher(mcore.ListMatcher):
    """A sorted list of document numbers, skipped through by binary search."""

    def skip_to(self, id: int) -> None:
        if not self.is_active():
            raise mcore.ReadTooFar
        self._i = bisect.bisect_left(self._ids, id, self._i)

    def supports_block_quality(self) -> bool:
        return False


class VotesAtLeast(wq.Query):
    """Documents whose thread has at least `threshold` votes in the index; scores 0."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.boost = 1.0

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.threshold == self.threshold  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.threshold))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.threshold})"

    def estimate_size(self, ixreader: IndexReader) -> int:
        return sum(len(_segment(reader).at_least(self.threshold))
                   for reader, _offset in ixreader.leaf_readers())

    def matcher(self, searcher: Searcher, context: Any = None) -> mcore.Matcher:
        found = _segment(searcher.reader()).at_least(self.threshold)
        return _DocnumMatcher(found, all_weights=0.0) if found else mcore.NullMatcher()


def most_voted(searcher: Searcher, whole: wq.Query, *, limit: int, sortedby: Any,
               wanted: int, cap: int, step_cap: int) -> Scan | None:
    """The top `limit` documents of `whole` by votes, exactly, from the smallest tier that
    holds `wanted` of its threads; None when none does within the caps (the caller falls
    back to the capped scan). The scan's thread count covers the tier only."""
    scanned = 0
    for threshold in thresholds(searcher, cap):
        scan = capped_search(searcher, AllOf([VotesAtLeast(threshold), whole]), limit=limit,
                             sortedby=sortedby, cap=cap, count_up_to=wanted,
                             step_cap=step_cap)
        scanned += scan.scanned
        if scan.capped:
            return None
        if scan.threads.total >= wanted:
            return Scan(scan.results, scanned, False, scan.threads)
    return None
