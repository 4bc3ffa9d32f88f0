"""What keeps a query's cost bounded whatever the size of the index.

Three caps, each counted rather than timed so that tests can check them:
- a scan cap: a search scores at most `scan_cap` documents (a common word stops there
  and shows the best it found, saying there are more), the newest first: the index
  holds them newest first (rebuild.py) and its newer segments are read first;
- a prefix cap: `wor*` searches the `prefix_terms` most frequent indexed words that start
  with `wor`, not the thousands there may be;
- a result cache per process, keyed by the query, its filters, the private spaces left
  out and the index generation, so the most repeated queries (common words) cost once
  per index commit.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from whoosh import collectors
from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Results, Searcher

SCAN_CAP = 20_000  # documents scored per search
PREFIX_TERMS = 64  # indexed words a prefix stands for
CACHE_SIZE = 512  # result pages kept per process
CACHE_BUDGET = 4_000_000  # characters of titles and bodies they may hold in all (a few MB)
WIDE_QUERY = 24  # words (and filters) in a query past which pruning costs more than it saves


@dataclass(frozen=True)
class SearchLimits:
    """The caps, from the app's config; 0 turns one off (benchmarks compare with that)."""

    scan_cap: int = SCAN_CAP
    prefix_terms: int = PREFIX_TERMS
    cache_size: int = CACHE_SIZE

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SearchLimits:
        return cls(int(config.get("SEARCH_SCAN_CAP", SCAN_CAP)),
                   int(config.get("SEARCH_PREFIX_TERMS", PREFIX_TERMS)),
                   int(config.get("SEARCH_CACHE_SIZE", CACHE_SIZE)))


class ScanCap(collectors.WrappingCollector):
    """Stops the wrapped collector once it has scored `cap` documents (0: never).

    Whoosh's top-N collector skips blocks that cannot beat its worst hit, so the count
    is of documents actually scored, which is the work a search does.
    """

    def __init__(self, child: collectors.Collector, cap: int) -> None:
        super().__init__(child)
        self.cap = cap
        self.scanned = 0
        self.capped = False

    def run(self) -> None:
        try:
            for subsearcher, offset in newest_first(self.top_searcher):
                self.set_subsearcher(subsearcher, offset)
                self.collect_matches()
                if self.capped:
                    break
        finally:
            self.finish()

    def collect_matches(self) -> None:
        child = self.child
        for sub_docnum in child.matches():
            if self.cap and self.scanned >= self.cap:
                self.capped = True
                return
            self.scanned += 1
            child.collect(sub_docnum)


def newest_first(searcher: Searcher) -> list[tuple[Searcher, int]]:
    """The index's segments, newest first: the indexer appends new documents in new
    segments after the rebuilt one, which holds the newest threads first, so a scan
    that stops at the cap has seen the most recent documents."""
    return list(reversed(list(searcher.leaf_searchers())))


def capped_search(searcher: Searcher, whole: wq.Query, *, limit: int, sortedby: Any,
                  cap: int) -> tuple[Results, int, bool]:
    """The top `limit` documents among the first `cap` scored; (results, scored, capped).

    A query of many words (a prefix) is scored without Whoosh's block-quality skipping:
    its matcher recomputes every word's best score each few documents to try and prune
    the union, which cost more than scoring (seconds for `do*` at scale S).
    """
    if sortedby is None and sum(1 for _ in whole.leaves()) > WIDE_QUERY:
        child: collectors.Collector = collectors.TopCollector(limit, usequality=False,
                                                              replace=0)
    else:
        child = searcher.collector(limit=limit, sortedby=sortedby)
    collector = ScanCap(child, cap)
    searcher.search_with_collector(whole, collector)
    return collector.results(), collector.scanned, collector.capped


def frequent_terms(reader: IndexReader, fieldname: str, prefix: str, limit: int
                   ) -> tuple[list[str], bool]:
    """The `limit` indexed words of `fieldname` starting with `prefix` that the most
    documents have (all of them when `limit` is 0), and whether some were left out."""
    found = [(info.doc_frequency(), text) for text, info in
             reader.iter_prefix(fieldname, prefix)]
    if limit and len(found) > limit:
        kept = heapq.nlargest(limit, found)
        return [text.decode("utf-8") for _frequency, text in kept], True
    return [text.decode("utf-8") for _frequency, text in found], False


class ResultCache:
    """A thread-safe LRU of search results, at most `size` of them and `budget` characters
    of stored text in all (a page of long posts weighs more); `hits` and `misses` count
    the lookups."""

    def __init__(self, size: int, budget: int = CACHE_BUDGET) -> None:
        self.size = size
        self.budget = budget
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: Any, weight: int = 1) -> None:
        if self.size <= 0 or weight > self.budget:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._weight -= previous[1]
            self._entries[key] = (value, weight)
            self._weight += weight
            while len(self._entries) > self.size or self._weight > self.budget:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self._weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0
