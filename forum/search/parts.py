"""What a matcher made of parts answers for the parts on its current document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.matching import mcore


class PartsMatcher(mcore.Matcher):
    """A matcher whose document is its parts' (`_here()`: those on it): its weight adds
    up theirs, its spans and term matchers are theirs."""

    def _here(self) -> list[mcore.Matcher]:
        raise NotImplementedError

    def weight(self) -> float:
        return sum(matcher.weight() for matcher in self._here())

    def spans(self) -> list[Any]:
        return sorted({span for matcher in self._here() for span in matcher.spans()})

    def term_matchers(self) -> Iterator[mcore.Matcher]:
        for matcher in self._here():
            yield from matcher.term_matchers()
