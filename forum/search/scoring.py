"""BM25F as Whoosh scores it, with each segment's field lengths read once.

Whoosh's scorer asks the segment for a document's field length at each score: a chain of
calls down to one byte of the lengths column, for every word of the query and every
document scored (a fifth of a two-word search's time at scale S). Here a segment's
lengths are read as one string of bytes the first time and kept as long as the segment
(kept.py), and each score is the same BM25 with its per-length
part looked up in a table of the 256 lengths a byte can stand for: the same numbers,
so rankings are unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching import mcore
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from forum.search.counting import whole_column
from forum.search.kept import kept


def field_lengths(reader: IndexReader, fieldname: str) -> bytes | None:
    """Each document's length byte for `fieldname` in this segment (kept as long as the
    segment: kept.py), or None when the segment does not keep them as Whoosh 2.7's
    fixed-width column (the caller then asks Whoosh document by document)."""
    return kept(reader, ("lengths", fieldname), lambda: _read_lengths(reader, fieldname))


def _read_lengths(reader: IndexReader, fieldname: str) -> bytes | None:
    perdoc: Any = getattr(reader, "_perdoc", None)
    cached = getattr(perdoc, "_cached_reader", None)
    if cached is None:
        return None
    column = cached(f"_{fieldname}_len", LENGTHS_COLUMN)  # whoosh3's length column
    if column is None:
        return None
    lengths = whole_column(column, reader.doc_count_all())
    return None if lengths is None else lengths.tobytes()


class LengthsScorer(scoring.BM25FScorer):
    """BM25F's scorer with the document's length from field_lengths and the length part
    of the formula from a table; exactly Whoosh's score."""

    def __init__(self, searcher: Searcher, fieldname: str, text: bytes, B: float,
                 K1: float, lengths: bytes, qf: int = 1) -> None:
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        self._lengths = lengths
        self._top = self.idf * (K1 + 1)
        self._norm = _length_norms(B, K1, self.avgfl)

    def score(self, matcher: mcore.Matcher) -> float:
        weight = matcher.weight()
        return float(self._top * weight / (weight + self._norm[self._lengths[matcher.id()]]))


@functools.lru_cache(maxsize=64)
def _length_norms(B: float, K1: float, average: float) -> tuple[float, ...]:
    """BM25's length part for each of the 256 length bytes (the same for every word of a
    field until its average length changes). Whoosh counts a byte of 0 as a length of 1."""
    return tuple(K1 * ((1 - B) + B * (byte_to_length(byte) if byte else 1) / average)
                 for byte in range(256))


class BM25F(scoring.BM25F):
    """Whoosh's BM25F, scored by LengthsScorer where the segment's lengths can be read."""

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf=qf)
        lengths = field_lengths(searcher.reader(), fieldname)
        if lengths is None:
            return super().scorer(searcher, fieldname, text, qf=qf)
        B = self._field_B.get(fieldname, self.B)
        return LengthsScorer(searcher, fieldname, text, B, self.K1, lengths, qf=qf)
