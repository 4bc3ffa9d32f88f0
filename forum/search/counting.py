"""How many threads match, and how many of them each company, kind and status has.

Counted in the same pass that scores the matches (bounded.py), so a search steps over its
matching documents once: the count stops at the scan cap with the scoring, and adds no
thread past the number anyone can page through. Each thread counts once, in its company,
kind and status (read from the index's columns). When the pass stopped early the counts
are those of the threads it saw, and say so (`more`).
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from whoosh.reading import IndexReader

from forum.search.kept import kept

FACETS = ("company", "kind", "status")


@dataclass(frozen=True)
class ThreadCount:
    """Threads counted; `more`: the count stopped early, with matches left."""

    total: int
    more: bool
    facets: dict[str, Counter[str]] = field(default_factory=dict)


class ThreadCounter:
    """Counts the threads of the documents it is shown, up to `up_to` threads, with their
    counts per company, kind and status."""

    def __init__(self, up_to: int) -> None:
        self.up_to = up_to
        self.full = False  # a thread past `up_to` was seen
        self._seen: set[Any] = set()
        self._facets: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        self._thread_of: Any = None
        self._columns: dict[str, Any] = {}

    def set_reader(self, reader: IndexReader) -> None:
        """Read the documents of this segment from now on."""
        self._thread_of = segment_column(reader, "thread_id")
        self._columns = {name: segment_column(reader, name) for name in FACETS}

    def add(self, docnum: int) -> None:
        """Count the thread of this segment's document `docnum`."""
        thread = self._thread_of[docnum]
        if thread in self._seen:
            return
        if len(self._seen) == self.up_to:
            self.full = True
            return
        self._seen.add(thread)
        for name, column in self._columns.items():
            value = column[docnum]
            if value:  # text (bytes in some column formats); "" for none
                self._facets[name][_text(value)] += 1

    def result(self, stopped_early: bool) -> ThreadCount:
        """The counts; `stopped_early`: the pass left matching documents unseen."""
        return ThreadCount(len(self._seen), self.full or stopped_early, self._facets)


def segment_column(reader: IndexReader, name: str) -> Any:
    """The reader of a segment's column `name`, as stored (bytes), kept as long as the
    segment (kept.py): opening one reads the offsets of every document's value (at scale
    L megabytes a column), which every search of a new searcher would otherwise repeat."""
    return kept(reader, ("column", name),
                lambda: reader.column_reader(name, translate=False))


def whole_column(column: Any, count: int) -> array[int] | None:
    """Every one of `count` documents' values in Whoosh's fixed-width numeric column
    `column` (its reader, untranslated), in one read of its file instead of a call per
    document; None when `column` is another kind (the caller then reads value by value).

    Whoosh writes these big-endian and leaves out the trailing documents that have the
    default value. Votes, dates and field lengths are read this way (tiers.py, scoring.py).
    """
    needed = ("_dbfile", "_basepos", "_count", "_typecode", "_defaultbytes")
    if not all(hasattr(column, name) for name in needed):
        return None
    typecode = column._typecode
    if typecode not in "bBhHiIlLqQ" or array(typecode).itemsize != struct.calcsize(
            "!" + typecode):
        return None
    stored = min(column._count, count)
    values = array(typecode, bytes(column._dbfile.get(column._basepos,
                                                      stored * array(typecode).itemsize)))
    values.frombytes(column._defaultbytes * (count - stored))
    if values.itemsize > 1 and sys.byteorder == "little":
        values.byteswap()
    return values


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value
