"""Where the index lives on disk, which version is current, and who may write it.

SEARCH_INDEX_DIR holds versioned Whoosh indexes (`v<time>-<random>/`) and a `current`
file naming the one in use. A rebuild writes a fresh `build-*` directory, renames it to a
version and replaces `current` atomically (os.replace), so readers move from a complete
old index to a complete new one and never see a half-built one. The version before the
current one is kept, because a process may still be reading it; older ones are removed.

Two flock(2) files serialize the writers across processes: `indexer.lock` (one indexer
follows the event log) and `rebuild.lock` (one rebuild at a time). The kernel releases them
when their holder dies, even by kill -9, so a crash never leaves the index locked.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import time
import traceback
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from whoosh.index import FileIndex

from forum.search import postings  # noqa: F401  (faster posting skips, installed on import)
from forum.search.mapped import MappedStorage
from forum.search.schema import META, META_KEY, SCHEMA_VERSION, make_schema

_VERSION_RE = re.compile(r"^v[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")


class IndexUnavailable(Exception):
    """The index cannot be read; `reason` says why, for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IndexMissing(IndexUnavailable):
    """No index was ever built here (or its directory was removed)."""


class IndexCorrupt(IndexUnavailable):
    """An index is there but cannot be opened, or was built with another schema."""


@dataclass(frozen=True)
class OpenIndex:
    version: str
    index: FileIndex
    last_applied: int


class ProcessLock:
    """An exclusive flock on a file: held until released or until the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self, timeout: float = 0.0) -> bool:
        """Take the lock, waiting up to `timeout` seconds; False when someone else has it."""
        deadline = time.monotonic() + timeout
        while not self._try_acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def _try_acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (held open as long as the lock)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def holder(self) -> str:
        """The pid written by whoever holds (or last held) the lock, for messages."""
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"


class IndexStore:
    """The versioned index directory: open, create, publish, clean up, lock."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.pointer = self.root / "current"

    def indexer_lock(self) -> ProcessLock:
        return ProcessLock(self.root / "indexer.lock")

    def rebuild_lock(self) -> ProcessLock:
        return ProcessLock(self.root / "rebuild.lock")

    def current_version(self) -> str:
        """The name of the index in use; IndexMissing or IndexCorrupt when there is none."""
        try:
            version = self.pointer.read_text().strip()
        except FileNotFoundError:
            raise IndexMissing(f"no search index in {self.root}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise IndexCorrupt(f"cannot read {self.pointer}: {error}") from None
        if not _VERSION_RE.match(version):
            raise IndexCorrupt(f"{self.pointer} names no index version ({version[:40]!r})")
        return version

    def state(self) -> str:
        """"ok", "missing" or "unreadable", from the pointer alone (for /healthz)."""
        try:
            version = self.current_version()
        except IndexMissing:
            return "missing"
        except IndexUnavailable:
            return "unreadable"
        return "ok" if (self.root / version).is_dir() else "missing"

    def open_current(self) -> OpenIndex:
        """Open the current index and check it is whole and of this schema."""
        version = self.current_version()
        path = self.root / version
        if not path.is_dir():
            raise IndexMissing(f"the current search index {path} is missing")
        ix, meta = _open(path)
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexCorrupt(f"{path} has schema {meta.get('schema')}, not {SCHEMA_VERSION}")
        return OpenIndex(version, ix, int(meta.get("last_applied", 0)))

    def create_build(self) -> tuple[Path, FileIndex]:
        """A fresh, empty index in a build directory, not yet visible to anyone."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"build-{secrets.token_hex(4)}"
        path.mkdir()
        return path, storage(path).create_index(make_schema())

    def publish(self, build: Path) -> str:
        """Make a finished build the current index, atomically."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")  # names sort by age
        version = f"v{stamp}-{secrets.token_hex(4)}"
        build.rename(self.root / version)
        temporary = self.root / f"current.{os.getpid()}.tmp"
        with open(temporary, "w") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.pointer)
        fsync_path(self.root)
        return version

    def remove_stale(self) -> list[str]:
        """Delete abandoned builds and versions older than the current one's predecessor.

        Called with the rebuild lock held, so no build directory is in use.
        """
        removed = [path.name for path in self.root.glob("build-*") if path.is_dir()]
        try:
            current = self.current_version()
        except IndexUnavailable:
            current = ""
        versions = sorted(path.name for path in self.root.glob("v*")
                          if path.is_dir() and _VERSION_RE.match(path.name))
        older = [name for name in versions if name < current]
        removed += older[:-1]
        for name in removed:
            shutil.rmtree(self.root / name, ignore_errors=True)
        return removed


def storage(path: Path) -> MappedStorage:
    """An index directory whose segments are read through memory maps (mapped.py).

    Not Whoosh's own mmap: Whoosh-Reloaded copies each sub-file of a compound segment
    into a BytesIO when it opens a reader, and a search worker then held the whole index
    in memory (about 400 MB at scale S, several GB at L). The caching is left to the
    operating system's page cache, shared by every process.
    """
    return MappedStorage(str(path))


def _open(path: Path) -> tuple[FileIndex, dict[str, Any]]:
    """Open an index and read its meta document; IndexCorrupt for anything unreadable."""
    problem: IndexUnavailable | None = None
    with warnings.catch_warnings():
        # Whoosh leaves the file open when a table of contents fails to load. Clearing
        # the failed frames closes it here, where the warning is expected; left to the
        # garbage collector (the traceback is a reference cycle) it warned at a random
        # later moment.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            ix = storage(path).open_index()
            return ix, read_meta(ix)
        except IndexUnavailable as unavailable:
            problem = unavailable
        except Exception as error:  # anything Whoosh or pickle raises means "unreadable"
            problem = IndexCorrupt(f"{path} is unreadable ({type(error).__name__}: {error})")
            traceback.clear_frames(error.__traceback__)
    raise problem


def read_meta(ix: FileIndex) -> dict[str, Any]:
    """The index's own record: schema version and the last event it contains."""
    with ix.searcher() as searcher:
        stored = searcher.document(key=META_KEY)
    if not stored or not isinstance(stored.get("meta"), dict):
        raise IndexCorrupt(f"{ix.storage.folder} has no meta document")
    return dict(stored["meta"])


def meta_document(last_applied: int) -> dict[str, Any]:
    """Written in the same Whoosh commit as the documents it accounts for."""
    return {
        "key": META_KEY,
        "doc_type": META,
        "meta": {"schema": SCHEMA_VERSION, "last_applied": int(last_applied)},
    }


def fsync_path(path: Path) -> None:
    """Flush a file, or a directory's entries (a rename in it), to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
