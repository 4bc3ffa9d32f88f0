"""A phrase: its words in a row, found through the pairs the index has and the rarest
word's postings, checked by positions only where every pair is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import pairwise
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.matching import mcore
from whoosh.query.spans import Span, SpanNear2, SpanWrappingMatcher
from whoosh.searching import Searcher

from forum.search import steps
from forum.search.conjunction import AllOfMatcher
from forum.search.positions import positions


class _PhraseMatcher(SpanNear2.SpanNear2Matcher):
    """Whoosh's phrase check (its words at consecutive positions) over an AllOf of its
    words and of its indexed pairs, rarest first, instead of a tree of pairs in the
    phrase's order; each document whose positions are checked spends a step of the
    search's budget.

    The pairs are parts of the same AllOf, not of one around the phrase: there, when a
    document with the pairs failed the check, the phrase looked for its next match by
    itself, checking the positions of every document with its words (common ones, at
    scale L tens of thousands) whether or not it had the pairs."""

    def __init__(self, ms: list[mcore.Matcher], sizes: list[int], slop: int = 1,
                 ordered: bool = True, mindist: int = 1,
                 pairs: Sequence[tuple[int, mcore.Matcher]] = ()) -> None:
        self.ms, self.sizes = ms, sizes  # `ms` in the phrase's order, for the positions
        self.slop, self.ordered, self.mindist = slop, ordered, mindist
        self.pairs = list(pairs)  # (size, matcher) of the phrase's indexed pairs
        self._budget = steps.current()
        parts = [(size, at, matcher) for at, (size, matcher) in
                 enumerate([*zip(sizes, ms, strict=True), *self.pairs])]
        by_size = [matcher for _size, _at, matcher in sorted(parts, key=lambda p: p[:2])]
        SpanWrappingMatcher.__init__(self, AllOfMatcher(by_size))

    def copy(self) -> _PhraseMatcher:
        return _PhraseMatcher([matcher.copy() for matcher in self.ms], self.sizes,
                              self.slop, self.ordered, self.mindist,
                              [(size, matcher.copy()) for size, matcher in self.pairs])

    def _get_spans(self) -> Collection[Any]:
        """Where the words stand in a row. An exact phrase (slop 1: each word right
        after the one before) by intersecting sets of positions, each word's shifted
        back by its place in the phrase (Whoosh's spans compare pairs of Span objects
        in Python, a third of a common phrase's time at scale L): the set of positions
        where the phrase starts, made Span objects only if asked for (`spans`)."""
        if self._budget is not None:
            self._budget.spend()
        if self.slop != 1 or not self.ordered or self.mindist != 1:
            return list(super()._get_spans())
        first, *others = self.ms
        starts = set(positions(first))
        for offset, matcher in enumerate(others, 1):
            starts.intersection_update([at - offset for at in positions(matcher)])
            if not starts:
                break
        return starts

    def spans(self) -> list[Any]:
        found = self._spans
        if isinstance(found, set):
            return [Span(start, start + len(self.ms) - 1) for start in sorted(found)]
        return list(found or ())

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
        matcher: mcore.Matcher = _PhraseMatcher(
            ms, sizes, slop=self.slop,
            pairs=[(pair.estimate_size(reader), pair.matcher(searcher, context))
                   for pair in pairs])
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
