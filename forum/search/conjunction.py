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

from bisect import bisect_right
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import mcore
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from forum.search import steps
from forum.search.parts import PartsMatcher
from forum.search.union import AnyOfMatcher

CHECK_EVERY = 32  # documents between two looks at block qualities, at most


class AllOfMatcher(PartsMatcher):
    """Documents every sub-matcher has; the first (the rarest) leads. Scores add up.

    When every part is a word's posting list, the documents they share are found a
    window at a time: from the lead's document to the end of the first of the parts'
    current blocks, each part's decoded numbers there are intersected as sets (in C),
    and the parts then step only to the documents found (less the segment's deleted
    ones). Asking each follower about each of the lead's documents cost a few Python
    calls each, for documents that mostly had not all the words.
    """

    def __init__(self, matchers: Sequence[mcore.Matcher]) -> None:
        self._lead, *followers = matchers
        self._followers = followers
        self._active = True
        self._steps = 0
        self._budget = steps.current()  # the running search's, spent on each alignment
        lists = [_posting_list(matcher) for matcher in matchers]
        self._by_window = bool(followers) and all(found is not None for found in lists)
        if self._by_window:
            self._leaves = [leaf for leaf, _deleted in lists]  # type: ignore[misc]
            self._deleted = next((gone for _leaf, gone in lists if gone), None)  # type: ignore[misc]
        self._ahead: list[int] = []  # the window's other shared documents, nearest last
        self._align()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({[self._lead, *self._followers]!r})"

    def _align(self) -> None:
        """Move to the first document at or after the lead's that every part has."""
        if self._by_window:
            self._align_by_window()
            return
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

    def _align_by_window(self) -> None:
        """_align, a window at a time (see the class): the window's first shared
        document, the others kept in `_ahead` for `next`."""
        lead, followers, budget = self._lead, self._followers, self._budget
        lead_list, *follower_lists = self._leaves
        self._ahead = []
        while lead.is_active():
            low = lead.id()
            high = lead_list._maxid
            past = 0  # a follower's next document, when it is past the window
            for follower, leaf in zip(followers, follower_lists, strict=True):
                if follower.is_active() and follower.id() < low:
                    follower.skip_to(low)
                if not follower.is_active():
                    self._active = False
                    return
                if follower.id() > high:
                    past = follower.id()  # nothing shared before it: the commoner
                    break  # followers need not move (nor read a block) here
                high = min(high, leaf._maxid)
            if past:
                lead.skip_to(past)
                continue
            ids, at = lead_list._ids, lead_list._i
            shared = set(ids[at:bisect_right(ids, high, at)])
            if budget is not None:
                budget.spend(len(shared))
            for leaf in follower_lists:
                ids, at = leaf._ids, leaf._i
                shared.intersection_update(ids[at:bisect_right(ids, high, at)])
                if not shared:
                    break
            if shared and self._deleted:
                shared = shared.difference(self._deleted)
            if shared:
                self._ahead = sorted(shared, reverse=True)
                self._move_to(self._ahead.pop())
                return
            lead.skip_to(high + 1)
        self._active = False

    def _move_to(self, target: int) -> None:
        """Every part to `target`, a document of the window they all have."""
        self._lead.skip_to(target)
        for follower in self._followers:
            follower.skip_to(target)

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
        self._steps += 1
        if self._ahead:
            self._move_to(self._ahead.pop())
            return self._steps % CHECK_EVERY == 0
        new_block = bool(self._lead.next())
        self._align()
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

    _here = children  # every part is on the current document

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

    def score(self) -> float:
        return sum(matcher.score() for matcher in self.children())



def _posting_list(matcher: mcore.Matcher) -> tuple[W3LeafMatcher, AbstractSet[int] | None
                                                    ] | None:
    """The word's posting list a matcher steps through, with the segment's deleted
    documents it leaves out (Whoosh wraps the lists of a segment that has some); None
    for any other matcher."""
    if type(matcher) is W3LeafMatcher:
        return matcher, None
    if (type(matcher) is FilterMatcher and matcher._exclude
            and type(matcher.child) is W3LeafMatcher):
        return matcher.child, matcher._ids
    return None


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
