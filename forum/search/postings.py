"""Whoosh's posting lists, stepped through faster where searches spend their time.

A search of two or three words is mostly an intersection: each word's posting list skips
to the next document the other has. Whoosh-Reloaded's `skip_to` finds the target inside a
block of up to 128 document numbers by stepping one posting at a time, three Python calls
each; at scale S that stepping was the largest part of a multi-word search. Here it is a
binary search of the block's decoded numbers (`bisect`, in C), with the same result:
the first posting at or after the target. Installed once, when search is imported.
"""

from __future__ import annotations

from bisect import bisect_left

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import ReadTooFar

_original_skip_to = W3LeafMatcher.skip_to


def skip_to(self: W3LeafMatcher, targetid: int) -> None:
    """Move to the first posting whose document number is `targetid` or more."""
    if not self.is_active():
        raise ReadTooFar
    if targetid <= self.id():
        return
    while targetid > self._maxid:  # past this block: over whole blocks, by their headers
        self._next_block()
        if not self.is_active():
            return
    if self._ids is None:
        self._read_ids()
    self._i = bisect_left(self._ids, targetid, self._i)


def install() -> None:
    W3LeafMatcher.skip_to = skip_to


def uninstall() -> None:
    """Whoosh's own stepping again (the tests compare the two)."""
    W3LeafMatcher.skip_to = _original_skip_to


install()
