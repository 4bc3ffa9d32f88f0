"""Index segments read through a memory map, without copying them.

A search reads thousands of small pieces of a segment: posting blocks, a document's field
lengths, its thread and facet columns. With ordinary reads each piece is a seek and a read
through Python's buffered file (a fifth of a search's time at scale S); from a memory map
it is a slice. Whoosh-Reloaded's own memory-mapped reading is no use here: it copies each
part of a compound segment into a BytesIO when a reader opens (a search worker then held
the whole index in memory). Here every part is a view of the one map: the operating
system's page cache holds the bytes, shared by every process, and a worker gives back the
pages a search touched when it is done with them (`release`).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import weakref
from array import array
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.system import IS_LITTLE

SEGMENT = ".seg"  # a compound segment: the files of one segment in one
PEEK = 256  # bytes shown ahead (a posting block's header is a few dozen)


class _ViewReader:
    """The file methods Whoosh calls on a segment part it reads in sequence (its table of
    contents, its directory of parts): read, seek and tell over a memoryview."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        data = self._view[self._pos:end].tobytes()
        self._pos += len(data)
        return data

    def peek(self, size: int = 0) -> bytes:
        """What the next read would return, without moving: pickle's loader reads ahead
        with it, then reads exactly what it used (one call instead of one per field)."""
        return self._view[self._pos:self._pos + max(size, PEEK)].tobytes()

    def readline(self, size: int | None = -1) -> bytes:
        data = self._view[self._pos:].tobytes()
        cut = data.find(b"\n") + 1 or len(data)
        if size is not None and size >= 0:
            cut = min(cut, size)
        self._pos += cut
        return data[:cut]

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._view)}
        self._pos = max(0, base[whence] + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = memoryview(b"")


class ViewFile(StructFile):
    """A read-only structured file over a view of a memory map."""

    def __init__(self, view: memoryview, name: str | None = None) -> None:
        super().__init__(_ViewReader(view), name=name)
        self._view = view

    def subset(self, offset: int, length: int, name: str | None = None) -> ViewFile:
        return ViewFile(self._view[offset:offset + length], name or self._name)

    def get(self, position: int, length: int) -> bytes:
        return self._view[position:position + length].tobytes()

    def get_array(self, position: int, typecode: str, length: int) -> array[Any]:
        values = array(typecode)
        values.frombytes(self._view[position:position + length * values.itemsize])
        if IS_LITTLE:
            values.byteswap()  # Whoosh writes arrays big-endian
        return values


class MappedFile(ViewFile):
    """A whole segment file, memory-mapped; closing it unmaps it once no view is left."""

    def __init__(self, mapped: mmap.mmap, name: str) -> None:
        super().__init__(memoryview(mapped), name)
        self._mapped = mapped

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        self._view.release()
        with contextlib.suppress(BufferError):  # a part still in use: the map closes
            self._mapped.close()                # when the last view of it goes


# The maps themselves, not their files: a map outlives its file while a part of it is
# still read (a column kept across index commits, kept.py), and its pages count too.
_open_maps: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()


def release_pages() -> None:
    """Give back the pages of every segment this process has mapped (after a search):
    they stay in the page cache, shared, and count no more in this process's memory;
    the next read of them maps them again."""
    for mapped in list(_open_maps):
        with contextlib.suppress(ValueError):  # closed meanwhile
            mapped.madvise(mmap.MADV_DONTNEED)


class MappedStorage(FileStorage):
    """An index directory whose compound segments are read through memory maps."""

    def __init__(self, path: str) -> None:
        super().__init__(path, supports_mmap=False)  # Whoosh's own mapping copies

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        if not name.endswith(SEGMENT) or kwargs:
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return super().open_file(name)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        _open_maps.add(mapped)
        return MappedFile(mapped, name)
