"""Every word of a query, matched with the rarest word leading.

Whoosh builds an And of several words as a tree of pairs, the commonest words paired
first: to find the next document the rarest word may have, it first finds the next one
that all the common words share, and those are rare too, so it steps through most of the
common words' postings to learn it. A title of seven words took half a second at scale L
for one result. Here the rarest part leads and each other part is asked, commonest last,
only whether it has the lead's document (or the next one it has after it): the work
follows the rarest word's postings, as in Lucene's conjunctions.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.matching import mcore
from whoosh.query.spans import Span, SpanNear2, SpanWrappingMatcher
from whoosh.searching import Searcher

from forum.search import steps

CHECK_EVERY = 32  # documents between two looks at block qualities, at most


class AllOfMatcher(mcore.Matcher):
    """Documents every sub-matcher has; the first (the rarest) leads. Scores add up."""

    def __init__(self, matchers: Sequence[mcore.Matcher]) -> None:
        self._lead, *followers = matchers
        self._followers = followers
        self._active = True
        self._steps = 0
        self._budget = steps.current()  # the running search's, spent on each alignment
        self._align()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({[self._lead, *self._followers]!r})"

    def _align(self) -> None:
        """Move to the first document at or after the lead's that every part has."""
        lead, followers, budget = self._lead, self._followers, self._budget
        while lead.is_active():
            if budget is not None:
                budget.spend()
            target = lead.id()
            for follower in followers:
                if not follower.is_active():
                    self._active = False
                    return
                if follower.id() < target:
                    follower.skip_to(target)
                    if not follower.is_active():
                        self._active = False
                        return
                found = follower.id()
                if found > target:
                    lead.skip_to(found)
                    break
            else:
                return
        self._active = False

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return int(self._lead.id())

    def next(self) -> bool:
        """Move to the next document; True when the lead entered a new block, or every
        CHECK_EVERY documents (the followers move by skips, which do not say): the
        moment to look at block qualities again."""
        if not self._active:
            raise mcore.ReadTooFar
        new_block = bool(self._lead.next())
        self._align()
        self._steps += 1
        return new_block or self._steps % CHECK_EVERY == 0

    def skip_to(self, id: int) -> bool:
        if not self._active:
            raise mcore.ReadTooFar
        if id > self._lead.id():
            self._lead.skip_to(id)
            self._align()
        return False

    def children(self) -> list[mcore.Matcher]:
        return [self._lead, *self._followers]

    def copy(self) -> AllOfMatcher:
        return AllOfMatcher([matcher.copy() for matcher in self.children()])

    def reset(self) -> None:
        for matcher in self.children():
            matcher.reset()
        self._active = True
        self._align()

    def replace(self, minquality: float = 0) -> mcore.Matcher:
        if not self._active or (minquality and self.max_quality() < minquality):
            return mcore.NullMatcher()  # nothing left, or nothing that could reach the top
        if minquality:
            # A union (a prefix) needs what the other parts cannot bring (MaxScore).
            best = self.max_quality()
            for matcher in self.children():
                if isinstance(matcher, AnyOfMatcher) and not matcher.replace(
                        minquality - (best - matcher.max_quality())).is_active():
                    return mcore.NullMatcher()
        return self

    def supports(self, astype: str) -> bool:
        return all(matcher.supports(astype) for matcher in self.children())

    # Block-quality pruning, for a search by relevance once its count is full (bounded.py):
    # a block of documents can score at most the sum of its parts' block qualities.

    def supports_block_quality(self) -> bool:
        return all(matcher.supports_block_quality() for matcher in self.children())

    def max_quality(self) -> float:
        return sum(matcher.max_quality() for matcher in self.children())

    def block_quality(self) -> float:
        return sum(matcher.block_quality() for matcher in self.children())

    def skip_to_quality(self, minquality: float) -> int:
        """Skip blocks that cannot score more than `minquality`: the part whose block
        weighs least skips to a block that could make up the difference."""
        skipped = 0
        while self._active:
            qualities = [matcher.block_quality() for matcher in self.children()]
            total = sum(qualities)
            if total > minquality:
                break
            weakest = qualities.index(min(qualities))
            part = self.children()[weakest]
            moved = part.skip_to_quality(minquality - (total - qualities[weakest]))
            skipped += moved
            if not moved and part.is_active():
                part.next()
            if not part.is_active():
                self._active = False
                break
            self._align()
        return skipped

    def weight(self) -> float:
        return sum(matcher.weight() for matcher in self.children())

    def score(self) -> float:
        return sum(matcher.score() for matcher in self.children())

    def spans(self) -> list[Any]:
        return sorted({span for matcher in self.children() for span in matcher.spans()})

    def term_matchers(self) -> Iterator[mcore.Matcher]:
        for matcher in self.children():
            yield from matcher.term_matchers()


class AllOf(wq.And):
    """An And whose matcher is led by its rarest part (see above)."""

    def _matcher(self, subs: Sequence[wq.Query], searcher: Searcher, context: Any
                 ) -> mcore.Matcher:
        reader = searcher.reader()
        ordered = sorted(subs, key=lambda sub: sub.estimate_size(reader))
        matcher: mcore.Matcher = AllOfMatcher([sub.matcher(searcher, context)
                                               for sub in ordered])
        if self.boost != 1.0:
            matcher = matching.WrappingMatcher(matcher, self.boost)
        return matcher


class AnyOfMatcher(mcore.Matcher):
    """Documents any sub-matcher has, from a heap of the sub-matchers by their current
    document: each step costs the few parts on that document, where Whoosh's tree of
    unions asks every level of the tree (a prefix standing for 64 words: six levels,
    each asked its id and moved at every document). Scores add up.

    Pruned as MaxScore does (Turtle and Flood, 1995), exactly: once the search knows the
    lowest score on its page (`replace(minquality)`), the words whose best scores add up
    to no more than that cannot bring a document onto the page by themselves. They leave
    the heap as they reach its top, and are asked only for a document the others found,
    and only when they could lift it onto the page. The commonest words of a prefix
    score least, so a pruned prefix steps through its rarer words' documents only.
    """

    def __init__(self, matchers: Sequence[mcore.Matcher],
                 optional: Sequence[mcore.Matcher] = ()) -> None:
        """`optional`: parts that only add to the score of a document the others have
        (as in Whoosh's AndMaybe), optional from the start."""
        self._parts = list(matchers)
        self._extra = list(optional)
        self._heap = [(matcher.id(), at, matcher) for at, matcher in enumerate(self._parts)
                      if matcher.is_active()]
        heapq.heapify(self._heap)
        self._floor = 0.0  # the page's lowest score, as last told
        self._leaving: set[int] = set()  # parts (by position) to leave the heap
        self._optional = [matcher for matcher in self._extra if matcher.is_active()]
        self._optional_best = sum(matcher.max_quality() for matcher in self._optional)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._parts!r})"

    def is_active(self) -> bool:
        return bool(self._heap)

    def id(self) -> int:
        return int(self._heap[0][0])

    def _in_heap(self) -> list[mcore.Matcher]:
        """The heap's parts on the current document: its top and its equals below it."""
        heap, found = self._heap, []
        target, pending = heap[0][0], [0]
        while pending:
            at = pending.pop()
            if at < len(heap) and heap[at][0] == target:
                found.append(heap[at][2])
                pending += (2 * at + 1, 2 * at + 2)
        return found

    def _optional_here(self) -> list[mcore.Matcher]:
        """The optional parts on the current document (moved there when behind it)."""
        target, found = self._heap[0][0], []
        for matcher in self._optional:
            if matcher.is_active() and matcher.id() < target:
                matcher.skip_to(target)
            if matcher.is_active() and matcher.id() == target:
                found.append(matcher)
        return found

    def _current(self) -> list[mcore.Matcher]:
        return self._in_heap() + self._optional_here() if self._optional else self._in_heap()

    def _settle(self) -> None:
        """Parts that are to leave the heap leave it when they reach its top."""
        heap, leaving = self._heap, self._leaving
        while heap and heap[0][1] in leaving:
            self._optional.append(heapq.heappop(heap)[2])

    def next(self) -> bool:
        """Move to the next document; True when one of the parts moved entered a new
        block (the moment to look at the page's lowest score again)."""
        heap = self._heap
        if not heap:
            raise mcore.ReadTooFar
        target, new_block = heap[0][0], False
        while heap and heap[0][0] == target:
            _id, at, matcher = heap[0]
            if at in self._leaving:
                self._optional.append(heapq.heappop(heap)[2])
                continue
            new_block = bool(matcher.next()) or new_block
            if matcher.is_active():
                heapq.heapreplace(heap, (matcher.id(), at, matcher))
            else:
                heapq.heappop(heap)
        self._settle()
        return new_block

    def skip_to(self, id: int) -> bool:
        heap = self._heap
        if not heap:
            raise mcore.ReadTooFar
        while heap and heap[0][0] < id:
            _id, at, matcher = heap[0]
            if at in self._leaving:
                self._optional.append(heapq.heappop(heap)[2])
                continue
            matcher.skip_to(id)
            if matcher.is_active():
                heapq.heapreplace(heap, (matcher.id(), at, matcher))
            else:
                heapq.heappop(heap)
        self._settle()
        return False

    def children(self) -> list[mcore.Matcher]:
        return [matcher for _id, _at, matcher in self._heap] + self._optional

    def copy(self) -> AnyOfMatcher:
        return AnyOfMatcher([matcher.copy() for matcher in self._parts],
                            [matcher.copy() for matcher in self._extra])

    def reset(self) -> None:
        for matcher in (*self._parts, *self._extra):
            matcher.reset()
        self.__init__(self._parts, self._extra)  # type: ignore[misc]

    def replace(self, minquality: float = 0) -> mcore.Matcher:
        """Parts whose best scores, with the optional ones', add up to no more than
        `minquality` become optional. The current document stays (a parent such as
        AndNot counts on it); nothing at all when no part could reach it."""
        if not self._heap:
            return mcore.NullMatcher()
        if minquality <= self._floor:
            return self
        self._floor = minquality
        staying = sorted((matcher.max_quality(), at) for _id, at, matcher in self._heap
                         if at not in self._leaving and matcher.is_active())
        for best, at in staying:
            if self._optional_best + best > minquality:
                break
            self._leaving.add(at)
            self._optional_best += best
        if all(at in self._leaving for _best, at in staying):
            return mcore.NullMatcher()  # no document can reach the page any more
        return self

    def supports(self, astype: str) -> bool:
        return all(matcher.supports(astype) for matcher in self._parts)

    # For block-quality pruning (bounded.py) the bound is the parts' best scores added
    # up, everywhere: the blocks of a union's parts do not line up.

    def supports_block_quality(self) -> bool:
        return True

    def max_quality(self) -> float:
        return sum(matcher.max_quality() for matcher in self.children()
                   if matcher.is_active())

    def block_quality(self) -> float:
        return self.max_quality()

    def skip_to_quality(self, minquality: float) -> int:
        if self.max_quality() <= minquality:
            self._heap, self._optional = [], []  # no document could reach the page
        return 0

    def weight(self) -> float:
        return sum(matcher.weight() for matcher in self._current())

    def score(self) -> float:
        """The parts' scores added up; the optional parts' only when they could lift
        the document onto the page (else it stays under the page's lowest score)."""
        total = sum(matcher.score() for matcher in self._in_heap())
        if self._optional and total + self._optional_best > self._floor:
            total += sum(matcher.score() for matcher in self._optional_here())
        return total

    def spans(self) -> list[Any]:
        return sorted({span for matcher in self._current() for span in matcher.spans()})

    def term_matchers(self) -> Iterator[mcore.Matcher]:
        for matcher in self._current():
            yield from matcher.term_matchers()

    def value(self) -> Any:
        return self._current()[0].value()

    def value_as(self, astype: str) -> Any:
        return self._current()[0].value_as(astype)


class AnyOf(wq.Or):
    """An Or matched by AnyOfMatcher (the words a prefix stands for)."""

    def _matcher(self, subs: Sequence[wq.Query], searcher: Searcher, context: Any
                 ) -> mcore.Matcher:
        matchers = [sub.matcher(searcher, context) for sub in subs]
        active = [matcher for matcher in matchers if matcher.is_active()]
        if not active:
            return mcore.NullMatcher()
        matcher: mcore.Matcher = active[0] if len(active) == 1 else AnyOfMatcher(active)
        if self.boost != 1.0:
            matcher = matching.WrappingMatcher(matcher, self.boost)
        return matcher


class _PhraseMatcher(SpanNear2.SpanNear2Matcher):
    """Whoosh's phrase check (its words at consecutive positions) over an AllOf of its
    words, rarest first, instead of a tree of pairs in the phrase's order; each document
    whose positions are checked spends a step of the search's budget."""

    def __init__(self, ms: list[mcore.Matcher], sizes: list[int], slop: int = 1,
                 ordered: bool = True, mindist: int = 1) -> None:
        self.ms, self.sizes = ms, sizes  # `ms` in the phrase's order, for the positions
        self.slop, self.ordered, self.mindist = slop, ordered, mindist
        self._budget = steps.current()
        by_size = [matcher for _size, _at, matcher in
                   sorted(zip(sizes, range(len(ms)), ms, strict=True))]
        SpanWrappingMatcher.__init__(self, AllOfMatcher(by_size))

    def copy(self) -> _PhraseMatcher:
        return _PhraseMatcher([matcher.copy() for matcher in self.ms], self.sizes,
                              self.slop, self.ordered, self.mindist)

    def _get_spans(self) -> list[Any]:
        """Where the words stand in a row. An exact phrase (slop 1: each word right
        after the one before) by intersecting sets of positions, each word's shifted
        back by its place in the phrase; Whoosh's spans compare pairs of Span objects
        in Python, a third of a common phrase's time at scale L."""
        if self._budget is not None:
            self._budget.spend()
        if self.slop != 1 or not self.ordered or self.mindist != 1:
            return list(super()._get_spans())
        first, *others = self.ms
        starts = set(first.value_as("positions"))
        for offset, matcher in enumerate(others, 1):
            starts.intersection_update([at - offset for at in matcher.value_as("positions")])
            if not starts:
                return []
        return [Span(start, start + len(others)) for start in sorted(starts)]

    # Block-quality pruning (bounded.py): a phrase scores as its words do, so their
    # AllOf's block qualities bound it; after a skip the phrase is looked for again
    # (Whoosh's wrapper would stop on a document with the words apart).

    def next(self) -> bool:
        new_block = bool(self.child.next())
        return bool(self._find_next()) or new_block

    def skip_to_quality(self, minquality: float) -> int:
        skipped = int(self.child.skip_to_quality(minquality))
        self._find_next()
        return skipped

    def replace(self, minquality: float = 0) -> mcore.Matcher:
        if not self.is_active() or (minquality and self.max_quality() < minquality):
            return mcore.NullMatcher()
        return self  # Whoosh's would rebuild it with the wrong arguments


class Phrase(wq.Phrase):
    """Whoosh's Phrase, matched by _PhraseMatcher; where the index has its words in a row
    as terms of PAIRS (schema.WordPairs: pairs with a common word), by those: a phrase of
    two is then one term, and a longer one checks positions only where all its pairs
    are."""

    PAIRS = "pairs"

    def matcher(self, searcher: Searcher, context: Any = None) -> mcore.Matcher:
        if self.fieldname not in searcher.schema or len(self.words) < 2:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        reader = searcher.reader()
        words: list[bytes] = []
        for word in self.words:
            try:
                words.append(field.to_bytes(word))
            except ValueError:
                return mcore.NullMatcher()
            if (self.fieldname, words[-1]) not in reader:
                return mcore.NullMatcher()  # a word no document has
        pairs = self._pairs(searcher)
        if len(self.words) == 2 and pairs:
            return pairs[0].matcher(searcher, context)
        ms = [wq.Term(self.fieldname, word).matcher(searcher, context) for word in words]
        sizes = [reader.doc_frequency(self.fieldname, word) for word in words]
        matcher: mcore.Matcher = _PhraseMatcher(ms, sizes, slop=self.slop)
        if pairs:
            by_size = sorted(pairs, key=lambda pair: pair.estimate_size(reader))
            matcher = AllOfMatcher([*(pair.matcher(searcher, context) for pair in by_size),
                                    matcher])
        if self.boost != 1.0:
            matcher = matching.WrappingMatcher(matcher, boost=self.boost)
        return matcher

    def _pairs(self, searcher: Searcher) -> list[wq.Term]:
        """Term queries for the phrase's words in a row that the index has as pairs."""
        field = dict(searcher.schema.items()).get(self.PAIRS)
        indexed = getattr(field, "indexed", None)
        if indexed is None or self.slop != 1:
            return []
        found = [f"{first} {second}" for first, second in pairwise(self.words)
                 if indexed(first, second)]
        return [wq.Term(self.PAIRS, pair) for pair in dict.fromkeys(found)]
