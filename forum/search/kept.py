"""What searches read once from an index segment and keep, across index commits.

Each indexer commit makes every worker open the index again (runtime.py), with a new
reader for every segment, the large rebuilt one included, although a segment's files
never change once written (its deleted documents are listed beside them). What searches
read from a segment and keep (column readers with their offsets, field lengths, votes
and dates, tiers) is therefore kept here by the segment's identity (its directory and
id), not by its reader: at scale L a search on a freshly opened index took 40 ms where
the same search again took 25 (by relevance), and 168 against 40 sorted by newest,
rereading the rebuilt segment's columns and tiers. The runtime drops the
entries of segments no longer in the index each time it opens it (`keep_only`).

A reader that is not a segment's (an empty index) keeps nothing: its values are read
each time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from whoosh.reading import IndexReader

T = TypeVar("T")

Identity = tuple[str, str]  # (index directory, segment id)

_kept: dict[Identity, dict[Hashable, Any]] = {}
_lock = threading.Lock()


def identity(reader: IndexReader) -> Identity | None:
    """The segment a leaf reader reads, or None for any other reader."""
    segment_of = getattr(reader, "segment", None)
    segment = segment_of() if callable(segment_of) else None
    storage = getattr(reader, "storage", lambda: None)()
    # A compound segment's storage overlays the index directory's (`b`).
    folder = getattr(storage, "folder", None) or getattr(getattr(storage, "b", None),
                                                         "folder", None)
    if segment is None or folder is None:
        return None
    return str(folder), str(segment.segment_id())


def kept(reader: IndexReader, key: Hashable, make: Callable[[], T]) -> T:
    """The value kept under `key` for this reader's segment, made by `make()` the first
    time (outside the lock: two searches may both make it; one is kept)."""
    found = identity(reader)
    if found is None:
        return make()
    with _lock:
        entry = _kept.get(found)
        if entry is not None and key in entry:
            return entry[key]  # type: ignore[no-any-return]
    value = make()
    with _lock:
        return _kept.setdefault(found, {}).setdefault(key, value)  # type: ignore[no-any-return]


def has_kept(reader: IndexReader) -> bool:
    """Whether anything is kept for this reader's segment (a reader of no segment: no)."""
    found = identity(reader)
    with _lock:
        return found is not None and found in _kept


def keep_only(reader: IndexReader) -> None:
    """Forget every segment but those `reader` (a newly opened index) reads."""
    live = {found for leaf, _offset in reader.leaf_readers()
            if (found := identity(leaf)) is not None}
    with _lock:
        for gone in [known for known in _kept if known not in live]:
            del _kept[gone]


def segments_kept() -> int:
    """How many segments have values kept (for tests)."""
    with _lock:
        return len(_kept)
