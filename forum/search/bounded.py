"""What keeps a query's cost bounded whatever the size of the index.

Four caps, each counted rather than timed so that tests can check them:
- a scan cap: a search steps over at most `scan_cap` matching documents, once, scoring
  each and counting its thread (a common word stops there and shows the best it found,
  saying there are more): the segments the indexer added since the last rebuild first,
  then the rebuilt one, which holds the shortest documents first (rebuild.py), the ones
  relevance ranks highest; sorted by votes or date, tiers.py finds the first of all;
- a step cap: the steps taken before a document is a match (a conjunction aligning its
  words, a phrase checking positions) spend from a budget of `step_cap` (steps.py);
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

from forum.search import postings, steps
from forum.search.counting import ThreadCount, ThreadCounter
from forum.search.union import AnyOf

SCAN_CAP = 20_000  # documents scored per search
STEP_CAP = 250_000  # steps before a match (alignments, phrase checks) per search
PREFIX_TERMS = 256  # indexed words a prefix stands for (its rarer ones score most: BestOf prunes)
CACHE_SIZE = 512  # result pages kept per process
CACHE_BUDGET = 4_000_000  # characters of titles and bodies they may hold in all (a few MB)
WIDE_QUERY = 24  # words (and filters) in a query past which pruning costs more than it saves


@dataclass(frozen=True)
class SearchLimits:
    """The caps, from the app's config; 0 turns one off (benchmarks compare with that)."""

    scan_cap: int = SCAN_CAP
    prefix_terms: int = PREFIX_TERMS
    cache_size: int = CACHE_SIZE
    step_cap: int = STEP_CAP

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SearchLimits:
        return cls(int(config.get("SEARCH_SCAN_CAP", SCAN_CAP)),
                   int(config.get("SEARCH_PREFIX_TERMS", PREFIX_TERMS)),
                   int(config.get("SEARCH_CACHE_SIZE", CACHE_SIZE)),
                   int(config.get("SEARCH_STEP_CAP", STEP_CAP)))


class ScanCap(collectors.WrappingCollector):
    """Stops the wrapped collector once it has scored `cap` documents (0: never), and shows
    each document it scores to `counter` until the counter is full.

    Whoosh's block-quality pruning (skipping blocks of documents that cannot reach the
    top) waits until then, with `prune`: before, the counter has to see every match.
    """

    def __init__(self, child: collectors.Collector, cap: int, counter: ThreadCounter,
                 prune: bool, step_cap: int = 0, until_counted: bool = False) -> None:
        super().__init__(child)
        self.cap = cap
        self.until_counted = until_counted  # stop once the counter is full
        self.step_cap = step_cap
        self.counter = counter
        self.prune = prune
        self.scanned = 0
        self.capped = False
        self.out_of_steps = False  # stopped by the budget of steps (steps.py)
        self.budget: steps.StepBudget | None = None

    def run(self) -> None:
        try:
            with steps.budget(self.step_cap) as budget:
                self.budget = budget
                for subsearcher, offset in newest_first(self.top_searcher):
                    with postings.deleted_left_to_caller():  # collect_matches does
                        self.set_subsearcher(subsearcher, offset)  # makes the matcher:
                    self.counter.set_reader(subsearcher.reader())  # it may spend steps
                    self.collect_matches()
                    if self.capped:
                        break
        except steps.OutOfSteps:
            self.capped = self.out_of_steps = True
        finally:
            self.finish()

    def collect_matches(self) -> None:
        """Score and count each match, the segment's deleted documents left out (their
        posting lists come without Whoosh's filter: see postings.py)."""
        child, counter, cap = self.child, self.counter, self.cap
        matcher, scanned, pruning, new_block = child.matcher, self.scanned, False, False
        reader = self.subsearcher.reader()
        deleted: frozenset[int] = (getattr(reader, "deleted_docs_set", frozenset())
                                   if reader.has_deletions() else frozenset())
        try:
            while matcher.is_active():
                if pruning:
                    if new_block and child.minscore:
                        # The child's matcher: a union may become a cheaper matcher
                        matcher = child.matcher = matcher.replace(child.minscore)
                        if matcher.is_active() and matcher.supports_block_quality():
                            matcher.skip_to_quality(child.minscore)
                        if not matcher.is_active():
                            return
                elif counter.full:
                    pruning = self.prune and matcher.supports_block_quality()
                if (cap and scanned >= cap) or (counter.full and self.until_counted):
                    self.capped = True
                    return
                sub_docnum = matcher.id()
                if sub_docnum in deleted:
                    new_block = matcher.next()
                    continue
                scanned += 1
                if not counter.full:
                    counter.add(sub_docnum)
                child.collect(sub_docnum)
                new_block = matcher.next()
        finally:
            self.scanned = scanned


def newest_first(searcher: Searcher) -> list[tuple[Searcher, int]]:
    """The index's segments, newest first: the indexer appends new documents in new
    segments after the rebuilt one (which holds the shortest first), so a scan that
    stops at the cap has seen the documents added since the rebuild."""
    return list(reversed(list(searcher.leaf_searchers())))


@dataclass(frozen=True)
class Scan:
    """One pass over a query's matches: the top documents, how many were scored, whether
    the cap stopped it, and the threads it counted."""

    results: Results
    scanned: int
    capped: bool
    threads: ThreadCount


def capped_search(searcher: Searcher, whole: wq.Query, *, limit: int, sortedby: Any,
                  cap: int, count_up_to: int, step_cap: int = 0,
                  until_counted: bool = False) -> Scan:
    """The top `limit` documents among the first `cap` matching, and their threads
    counted up to `count_up_to`, in one pass over the matches; with `until_counted`, the
    pass stops (as capped) once the count is full.

    Once the count is full, a search by relevance skips blocks of documents that cannot
    reach the top (Whoosh's block-quality pruning), unless it has many words (a prefix):
    its matcher then recomputed every word's best score each few documents, which cost
    seconds for `do*` at scale S.
    """
    if sortedby is None:
        child: collectors.Collector = collectors.TopCollector(limit)
    else:
        child = searcher.collector(limit=limit, sortedby=sortedby)
    prune = sortedby is None and _width(whole) <= WIDE_QUERY
    collector = ScanCap(child, cap, ThreadCounter(count_up_to), prune, step_cap,
                        until_counted)
    searcher.search_with_collector(whole, collector)
    stopped_early = collector.capped
    return Scan(collector.results(), collector.scanned, stopped_early,
                collector.counter.result(stopped_early))


def _width(whole: wq.Query) -> int:
    """The query's words and filters, a prefix's words counting as one: AnyOf prunes
    them itself (union.py), where Whoosh's tree of unions cost seconds."""
    if isinstance(whole, AnyOf) or whole.is_leaf():
        return 1
    return sum(_width(child) for child in whole.children())


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
