"""Any word of a query: a draft's words (similar.py), their scores added up, or the words
a prefix stands for, a document scoring as the best of them (BestOf).

Whoosh builds an Or of many words as a tree of unions; here one heap of the parts, and
the pruning (MaxScore; for the best of them, by blocks too) that lets a prefix stand for
hundreds of words at little cost.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.matching import mcore
from whoosh.searching import Searcher

from forum.search.parts import PartsMatcher


class AnyOfMatcher(PartsMatcher):
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

    def _here(self) -> list[mcore.Matcher]:
        return self._in_heap() + self._optional_here() if self._optional else self._in_heap()

    def _settle(self) -> None:
        """Parts that are to leave the heap leave it when they reach its top."""
        heap, leaving = self._heap, self._leaving
        while heap and heap[0][1] in leaving:
            self._leave(heapq.heappop(heap)[2])

    def _leave(self, matcher: mcore.Matcher) -> None:
        """A part has left the heap: it is optional from now on."""
        self._optional.append(matcher)

    def next(self) -> bool:
        """Move to the next document; True when one of the parts moved entered a new
        block (the moment to look at the page's lowest score again)."""
        heap = self._heap
        if not heap:
            raise mcore.ReadTooFar
        target, new_block = heap[0][0], False
        while heap and heap[0][0] == target:
            matcher = self._staying_top()
            if matcher is not None:
                new_block = self._step(matcher) or new_block
                self._reheap_top()
        self._settle()
        return new_block

    def _step(self, matcher: mcore.Matcher) -> bool:
        """Move a part to its next document; whether it entered a new block."""
        return bool(matcher.next())

    def skip_to(self, id: int) -> bool:
        heap = self._heap
        if not heap:
            raise mcore.ReadTooFar
        while heap and heap[0][0] < id:
            matcher = self._staying_top()
            if matcher is not None:
                matcher.skip_to(id)
                self._reheap_top()
        self._settle()
        return False

    def _staying_top(self) -> mcore.Matcher | None:
        """The heap's top part to move, or None when it was to leave (it has left)."""
        _id, at, matcher = self._heap[0]
        if at in self._leaving:
            self._leave(heapq.heappop(self._heap)[2])
            return None
        return matcher

    def _reheap_top(self) -> None:
        """The top part has moved: back into the heap at its document, or out if done."""
        _id, at, matcher = self._heap[0]
        if matcher.is_active():
            heapq.heapreplace(self._heap, (matcher.id(), at, matcher))
        else:
            heapq.heappop(self._heap)

    def children(self) -> list[mcore.Matcher]:
        return [matcher for _id, _at, matcher in self._heap] + self._optional

    def copy(self) -> AnyOfMatcher:
        return type(self)([matcher.copy() for matcher in self._parts],
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

    def score(self) -> float:
        """The parts' scores added up; the optional parts' only when they could lift
        the document onto the page (else it stays under the page's lowest score)."""
        total = sum(matcher.score() for matcher in self._in_heap())
        if self._optional and total + self._optional_best > self._floor:
            total += sum(matcher.score() for matcher in self._optional_here())
        return total

    def value(self) -> Any:
        return self._here()[0].value()

    def value_as(self, astype: str) -> Any:
        return self._here()[0].value_as(astype)


class BestOfMatcher(AnyOfMatcher):
    """Documents any sub-matcher has, each scoring as its best part there (as Lucene's
    disjunction max with no tie-break): the words a prefix stands for. A document with
    "work" and "world" is no better a match for `wo*` than one with either.

    Pruned exactly, and far more than a sum allows: once the search knows the lowest
    score on its page, a word whose best score is no more than that can bring no
    document onto it, and leaves the heap; a word whose current block of postings cannot
    reach it skips to its next block that can, by the blocks' headers (a block of long
    documents scores low, and the rebuilt index holds the longest last). Under a sum,
    MaxScore could only leave out the words whose best scores added up stayed under the
    page's lowest: at scale S, one of the 154 words of `wo*`, which scanned 20,000
    documents to its cap.
    """

    def __init__(self, matchers: Sequence[mcore.Matcher],
                 optional: Sequence[mcore.Matcher] = ()) -> None:
        if optional:
            raise ValueError("the best of some parts has no optional parts")
        super().__init__(matchers)
        self._skipped_under = 0.0  # every part's current block last checked against it

    def _staying(self) -> list[mcore.Matcher]:
        """The parts in the heap that are not to leave it and have documents left."""
        return [matcher for _id, at, matcher in self._heap
                if at not in self._leaving and matcher.is_active()]

    def _leave(self, matcher: mcore.Matcher) -> None:
        """A part has left the heap: for good (it cannot lift a document's best)."""

    def _step(self, matcher: mcore.Matcher) -> bool:
        """Move a part to its next document; entering a block which cannot reach the
        page, it skips to one that can."""
        if not matcher.next():
            return False
        floor = self._floor
        if floor and matcher.is_active() and matcher.block_quality() <= floor:
            matcher.skip_to_quality(floor)
        return True

    def replace(self, minquality: float = 0) -> mcore.Matcher:
        """Parts whose best score is no more than `minquality` leave; nothing at all
        when none is left. The current document stays (a parent such as AndNot counts on
        it)."""
        if not self._heap:
            return mcore.NullMatcher()
        if minquality <= self._floor:
            return self
        self._floor = minquality
        for _id, at, matcher in self._heap:
            if at not in self._leaving and matcher.max_quality() <= minquality:
                self._leaving.add(at)
        if not self._staying():
            return mcore.NullMatcher()  # no document can reach the page any more
        return self

    def max_quality(self) -> float:
        return max((matcher.max_quality() for matcher in self._staying()), default=0.0)

    def block_quality(self) -> float:
        """At most the best of the parts' current blocks, for the documents from here
        until the first of those blocks ends."""
        return max((matcher.block_quality() for matcher in self._staying()), default=0.0)

    def skip_to_quality(self, minquality: float) -> int:
        """Each part skips the blocks that cannot score more than `minquality` (checked
        again for every part only when it has risen: `next` checks each new block)."""
        if minquality <= self._skipped_under:
            return 0
        self._skipped_under = minquality
        skipped, heap = 0, []
        for _id, at, matcher in self._heap:
            if at in self._leaving or not matcher.is_active():
                continue
            if matcher.block_quality() <= minquality:
                skipped += matcher.skip_to_quality(minquality)
            if matcher.is_active():
                heap.append((matcher.id(), at, matcher))
        heapq.heapify(heap)
        self._heap = heap
        return skipped

    def score(self) -> float:
        return max(matcher.score() for matcher in self._in_heap())


class AnyOf(wq.Or):
    """An Or matched by AnyOfMatcher: its parts' scores add up."""

    union: type[AnyOfMatcher] = AnyOfMatcher

    def _matcher(self, subs: Sequence[wq.Query], searcher: Searcher, context: Any
                 ) -> mcore.Matcher:
        matchers = [sub.matcher(searcher, context) for sub in subs]
        active = [matcher for matcher in matchers if matcher.is_active()]
        if not active:
            return mcore.NullMatcher()
        matcher: mcore.Matcher = active[0] if len(active) == 1 else self.union(active)
        if self.boost != 1.0:
            matcher = matching.WrappingMatcher(matcher, self.boost)
        return matcher


class BestOf(AnyOf):
    """The words a prefix stands for, matched by BestOfMatcher: a document scores as its
    best of them."""

    union = BestOfMatcher
