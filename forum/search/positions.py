"""Where a word stands in a document, stored so that a phrase reads it cheaply.

Whoosh's Positions format makes each posting's value a small pickle of its positions,
and its codec pickles a block's values as a tuple of those bytes: under the pickle
protocol it writes, each bytes object is a call (`_codecs.encode`) when read back, so
learning the positions of one document in a block unpickled all 128 (36 microseconds,
and a phrase of common words at scale L checks thousands of documents, each in a block of
its own). Here a value is the positions as 4-byte integers, and a block's values are two
byte strings: where each posting's positions end, and all of them in a row. Reading a
block's positions is then two copies of bytes into arrays (in C); one posting's value is a
slice of them.

`PackedPositions` is the format of `text` (schema.py); the writer and reader of Whoosh's
postings use the two byte strings for a field of that format only. Installed once, when
search is imported.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

from whoosh import formats
from whoosh.codec.whoosh3 import W3LeafMatcher, W3PostingsWriter
from whoosh.matching.wrappers import FilterMatcher

_WIDTH = 4  # bytes a position takes
_BIG_ENDIAN = sys.byteorder == "big"  # stored little-endian on every machine
if array("I").itemsize != _WIDTH:  # pragma: no cover (every platform Python supports)
    raise ImportError("forum.search.positions needs 4-byte unsigned ints")


def pack(numbers: Iterable[int]) -> bytes:
    """Unsigned 32-bit integers, little-endian."""
    packed = array("I", numbers)
    if _BIG_ENDIAN:  # pragma: no cover
        packed.byteswap()
    return packed.tobytes()


def unpack(value: bytes) -> array[int]:
    """The integers `pack` made of them."""
    numbers = array("I", value)
    if _BIG_ENDIAN:  # pragma: no cover
        numbers.byteswap()
    return numbers


class PackedPositions(formats.Positions):
    """Whoosh's Positions (frequency, weight, positions), its value the word's positions
    in the document as 4-byte integers, in order."""

    def encode(self, poslist: Sequence[int]) -> bytes:
        return pack(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return unpack(valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // _WIDTH

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * float(self.field_boost)

    def combine(self, vs: Iterable[bytes]) -> bytes:
        found: set[int] = set()
        for value in vs:
            found.update(unpack(value))
        return pack(sorted(found))


class BlockValues(Sequence[bytes]):
    """A block's values as PackedPositions stores them: where each posting's positions
    end (counted in positions), and all of them in a row. Item i is posting i's value;
    `positions(i)` its positions, without making bytes of them."""

    __slots__ = ("_all", "_ends")

    def __init__(self, ends: bytes, everything: bytes) -> None:
        self._ends = unpack(ends)
        self._all = unpack(everything)

    def __len__(self) -> int:
        return len(self._ends)

    def positions(self, i: int) -> array[int]:
        return self._all[self._ends[i - 1] if i else 0:self._ends[i]]

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[at] for at in range(*i.indices(len(self)))]
        positions = self.positions(i if i >= 0 else len(self) + i)
        if _BIG_ENDIAN:  # pragma: no cover
            positions.byteswap()
        return positions.tobytes()


def positions(matcher: Any) -> Sequence[int]:
    """The positions of a word's matcher's current document: from the block's values as
    they were read, for a field of PackedPositions (inside the filter Whoosh wraps around
    the lists of a segment with deleted documents too); otherwise as the format decodes
    them."""
    if type(matcher) is FilterMatcher:
        matcher = matcher.child
    if type(matcher) is W3LeafMatcher:
        if matcher._values is None:
            matcher._read_values()
        values = matcher._values
        if type(values) is BlockValues:
            return values.positions(matcher._i)
    return matcher.value_as("positions")  # type: ignore[no-any-return]


_original = {"mini_values": W3PostingsWriter._mini_values,
             "read_values": W3LeafMatcher._read_values}


def mini_values(self: W3PostingsWriter) -> Any:
    """The buffered block's values as the two byte strings of BlockValues, for a field
    of PackedPositions."""
    if isinstance(self._format, PackedPositions):
        values = self._values
        ends = accumulate(len(value) // _WIDTH for value in values)
        return pack(ends), b"".join(values)
    return _original["mini_values"](self)


def read_values(self: W3LeafMatcher) -> None:
    if isinstance(self.format, PackedPositions):
        if self._data is None:
            self._read_data()
        self._values = BlockValues(*self._data[2])
    else:
        _original["read_values"](self)


def install() -> None:
    W3PostingsWriter._mini_values = mini_values
    W3LeafMatcher._read_values = read_values


install()
