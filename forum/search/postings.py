"""Whoosh's posting lists, stepped through faster where searches spend their time.

A search of two or three words is mostly an intersection: each word's posting list skips
to the next document the other has. Whoosh-Reloaded's `skip_to` finds the target inside a
block of up to 128 document numbers by stepping one posting at a time, three Python calls
each; at scale S that stepping was the largest part of a multi-word search. Here it is a
binary search of the block's decoded numbers (`bisect`, in C), with the same result:
the first posting at or after the target.

A block is one compressed pickle of its document numbers, weights and positions, and
Whoosh unpickles all three to learn a number or a weight. The positions are most of it: a
pickled list each, pickled again as a call that makes bytes of a string (36 microseconds a
block at scale S, against 2 for the rest). Only a phrase reads positions, so here the
numbers and weights come first, alone: the pickle's leading tuples of small integers and
of floats, cut off and loaded by themselves; the positions are unpickled only when one is
asked for.

A segment with deleted documents (an indexer commit deletes a thread's old documents,
so on a live site the rebuilt segment soon has some) has each of its posting lists
wrapped in a filter that steps over them: a Python call or two more per posting, per
list. A capped scan (bounded.py) leaves them out once itself instead, by the document it
is about to score: within `deleted_left_to_caller()`, a segment's lists come unwrapped.

Installed once, when search is imported.
"""

from __future__ import annotations

import re
import threading
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate
from pickle import loads  # our own index's blocks, as Whoosh reads them

from whoosh.codec.whoosh3 import W3LeafMatcher, W3PostingsWriter
from whoosh.matching import Matcher, ReadTooFar
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length

_original = {name: getattr(W3LeafMatcher, name)
             for name in ("skip_to", "_read_ids", "_read_data", "_goto")}
_original_weights = W3PostingsWriter._mini_weights
_segment_postings = SegmentReader.postings

# A block's pickle (protocol 2) opens with the tuple of its document numbers, each but the
# first a difference from the one before (a mark, one- two- or four-byte integers, the
# tuple, kept as memo 0), then its weights: none (all 1), one float for all, or a tuple
# (memo 1) of floats or, written here, of whole numbers (`mini_weights`). A block of
# three postings or fewer is pickled otherwise, and read as Whoosh does.
_INTEGERS = rb"(?:K.|M..|J....)*"
_NUMBERS_AND_WEIGHTS = re.compile(
    rb"\x80\x02\(" + _INTEGERS + rb"tq\x00"
    rb"(?:N|G.{8}|\((?:(?:G.{8})*|" + _INTEGERS + rb")tq\x01)", re.DOTALL)
_PAIR = b"\x86."  # the two as a pair, and stop


# A block's header: its length (4 bytes, big-endian, negative for the last block), then
# a pickled tuple of its posting count, last document number, best weight, compression
# and shortest and longest length bytes.
_HEADER = re.compile(rb"\x80\x02\((?:K.|M..|J....|G.{8})*tq\x00\.", re.DOTALL)
HEADER_PEEK = 64  # bytes read for a header (a few dozen)


def goto(self: W3LeafMatcher, position: int) -> None:
    """Whoosh's move to the block at `position`, its header read from the segment's
    memory map (mapped.py) as one slice and one small unpickling, rather than a seek,
    a read of its length and a pickle loaded from the file object (12 microseconds a
    block at scale L, where a three-word search moves through thousands)."""
    view = getattr(self._postfile, "_view", None)
    head = None if view is None else view[position:position + HEADER_PEEK].tobytes()
    found = None if head is None else _HEADER.match(head, 4)
    if found is None:
        _original["_goto"](self, position)
        return
    self._data = self._ids = self._weights = self._values = None
    self._i = 0
    length = int.from_bytes(head[:4], "big", signed=True)
    if length < 0:
        self._lastblock = True
        length = -length
    self._nextoffset = position + 4 + length
    self._dataoffset = position + found.end()
    (self._blocklength, self._maxid, self._maxweight, self._compression, shortest,
     longest) = loads(found.group())  # noqa: S301
    self._minlength = byte_to_length(shortest)
    self._maxlength = byte_to_length(longest)


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


LEADING_PEEK = 1_024  # bytes of a block inflated first: its numbers and whole weights fit


def read_ids(self: W3LeafMatcher) -> None:
    """The block's document numbers and weights, without unpickling its positions, and
    mostly without inflating them: only its first LEADING_PEEK bytes are (all of it when
    they do not hold both). The block's stored bytes are kept for the positions
    (`read_data`)."""
    if self._data is None and not self._byteids:
        stored = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        head = (zlib.decompressobj().decompress(stored, LEADING_PEEK)
                if self._compression else stored)
        leading = _NUMBERS_AND_WEIGHTS.match(head)
        if leading is None and self._compression:
            leading = _NUMBERS_AND_WEIGHTS.match(zlib.decompress(stored))
        if leading is not None:
            numbers, weights = loads(leading.group() + _PAIR)  # noqa: S301
            self._ids = tuple(accumulate(numbers))
            if not isinstance(weights, tuple):  # one weight for all, as Whoosh spreads it
                weights = array("f", [1.0 if weights is None else weights]) * len(numbers)
            self._weights = weights
            self._block = (self._dataoffset, stored)
            return
    _original["_read_ids"](self)


def read_data(self: W3LeafMatcher) -> None:
    """The whole block, from the bytes `read_ids` kept when it read this one."""
    kept = getattr(self, "_block", None)
    if kept is not None and kept[0] == self._dataoffset:
        block = zlib.decompress(kept[1]) if self._compression else kept[1]
        self._data = loads(block)  # noqa: S301
    else:
        _original["_read_data"](self)


def mini_weights(self: W3PostingsWriter) -> object:
    """A block's weights as Whoosh writes them, but whole numbers as integers: a word's
    weight is mostly how often it occurs (a title's occurrences counting 2), and a
    pickled float takes 9 bytes where a small integer takes 2. The block's weights were
    over half its bytes before its positions, all of which a search decompresses."""
    weights = _original_weights(self)
    if isinstance(weights, tuple) and all(
            weight.is_integer() and 0 <= weight < 2**31 for weight in weights):
        return tuple(int(weight) for weight in weights)
    return weights


_caller = threading.local()


@contextmanager
def deleted_left_to_caller() -> Iterator[None]:
    """Posting lists made in this thread meanwhile include the segment's deleted
    documents: the caller leaves them out (SegmentReader.deleted_docs_set)."""
    previous = getattr(_caller, "leaves_out", False)
    _caller.leaves_out = True
    try:
        yield
    finally:
        _caller.leaves_out = previous


def segment_postings(self: SegmentReader, fieldname: str, text: bytes | str,
                     scorer: object = None) -> Matcher:
    """Whoosh's posting list of a term in a segment; without the filter of deleted
    documents inside `deleted_left_to_caller()`."""
    matcher = _segment_postings(self, fieldname, text, scorer=scorer)
    if type(matcher) is FilterMatcher and getattr(_caller, "leaves_out", False):
        return matcher.child
    return matcher


_ours = {"skip_to": skip_to, "_read_ids": read_ids, "_read_data": read_data, "_goto": goto}


def install() -> None:
    for name, method in _ours.items():
        setattr(W3LeafMatcher, name, method)
    SegmentReader.postings = segment_postings
    W3PostingsWriter._mini_weights = mini_weights


def uninstall() -> None:
    """Whoosh's own stepping and reading again (the tests compare the two)."""
    for name, method in _original.items():
        setattr(W3LeafMatcher, name, method)
    SegmentReader.postings = _segment_postings
    W3PostingsWriter._mini_weights = _original_weights


install()
