"""Rebuilding the index from the database into a fresh directory, then swapping it in.

The order is what makes a rebuild safe while people keep writing:

1. read the event log's horizon H (every change up to H is committed and thus visible);
2. read every visible thread and post, in chunks, each in a short transaction;
3. write their documents, shortest first, commit the new index with H as its last
   applied id, and publish it.

A change made during step 2 has an event id above H, so the indexer applies it to the
new index after the swap, whether or not step 2 saw it; re-applying is harmless because
documents are rebuilt from the database. Searches keep using the old index until the swap.

Shortest first, because a search that stops at its scan cap (bounded.py) has then seen
the matches BM25 ranks highest (the same words in fewer words score higher), and the
blocks of long documents it skips score low. Step 2 cannot read the database in that
order, so it spills each document to a file for its length (in steps of a fifth or so),
and step 3 reads the files back shortest first: the newest first within each, as read.
"""

from __future__ import annotations

import logging
import math
import pickle
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, func, select, true
from sqlalchemy.orm import Session
from whoosh.writing import IndexWriter

from forum.search import feed
from forum.search.documents import CHUNK, thread_documents, visible_threads
from forum.search.schema import make_analyzer, make_schema
from forum.search.store import (
    IndexStore,
    IndexUnavailable,
    ProcessLock,
    meta_document,
    storage,
)
from forum.threads.models import Thread

log = logging.getLogger("forum.search")

WRITER_MEMORY_MB = 256
LOCK_WAIT = 10.0  # seconds to wait for another rebuild before saying why not
LENGTH_STEPS = 4  # spill files per doubling of a document's length in words
WRITE_REPORT = 1_000  # documents written between two progress reports


class RebuildRunning(Exception):
    """Another rebuild holds the rebuild lock."""


@dataclass(frozen=True)
class RebuildResult:
    version: str
    threads: int
    documents: int
    last_applied: int
    seconds: float


def _usable(store: IndexStore) -> bool:
    try:
        store.open_current()
    except IndexUnavailable:
        return False
    return True


def count_threads(engine: Engine) -> int:
    """Threads a rebuild will read (hidden ones excluded), for a progress bar."""
    with Session(engine) as session:
        return int(session.scalar(
            select(func.count()).select_from(Thread).where(Thread.hidden_at.is_(None))) or 0)


def rebuild(
    store: IndexStore,
    engine: Engine,
    progress: Callable[[int], object] = lambda _threads: None,
    written: Callable[[int, int], object] = lambda _documents, _total: None,
) -> RebuildResult:
    """Build a complete new index and make it current; `progress(n)` after each chunk of
    `n` threads read, then `written(n, total)` after each `n` of `total` documents
    written."""
    lock = _rebuild_lock(store)
    try:
        return _build_and_publish(store, engine, progress, written)
    finally:
        lock.release()


def rebuild_if_unusable(store: IndexStore, engine: Engine) -> RebuildResult | None:
    """The automatic rebuild: None when a usable index appeared while it waited its turn
    (another process or thread rebuilt it first)."""
    lock = _rebuild_lock(store)
    try:
        if _usable(store):
            return None
        return _build_and_publish(store, engine, lambda _threads: None,
                                  lambda _documents, _total: None)
    finally:
        lock.release()


def _rebuild_lock(store: IndexStore) -> ProcessLock:
    lock = store.rebuild_lock()
    if not lock.acquire(timeout=LOCK_WAIT):
        raise RebuildRunning(f"another rebuild is running (pid {lock.holder()})")
    return lock


def _build_and_publish(
    store: IndexStore, engine: Engine, progress: Callable[[int], object],
    written: Callable[[int, int], object],
) -> RebuildResult:
    store.remove_stale()
    started = time.monotonic()
    with Session(engine) as session:
        horizon = feed.horizon(session)
        session.commit()
    build, ix = store.create_build()
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    by_length = ByLength(build / "by-length")
    try:
        threads = _read_everything(engine, by_length, progress)
        documents = _write_shortest_first(writer, by_length, written)
        writer.add_document(**meta_document(horizon))
    except BaseException:
        by_length.close()
        writer.cancel()
        shutil.rmtree(build, ignore_errors=True)
        raise
    writer.commit()
    version = store.publish(build)
    store.remove_stale()
    seconds = time.monotonic() - started
    log.info("Search index %s built: %d threads, %d documents, up to event %d",
             version, threads, documents, horizon)
    return RebuildResult(version, threads, documents, horizon, seconds)


def _read_everything(
    engine: Engine, by_length: ByLength, progress: Callable[[int], object]
) -> int:
    """Every visible thread's documents into `by_length`, a chunk per transaction, the
    newest threads first; returns how many threads."""
    before, threads = None, 0
    with Session(engine) as session:
        while True:
            newer = Thread.id < before if before is not None else true()
            ids = list(session.scalars(
                select(Thread.id).where(newer, Thread.hidden_at.is_(None))
                .order_by(Thread.id.desc()).limit(CHUNK)))
            if not ids:
                break
            for document in thread_documents(session, visible_threads(session, ids),
                                             newest_first=True):
                by_length.add(document)
            session.commit()  # a short read transaction per chunk
            before, threads = ids[-1], threads + len(ids)
            progress(len(ids))
    return threads


def _write_shortest_first(writer: IndexWriter, by_length: ByLength,
                          written: Callable[[int, int], object]) -> int:
    documents = 0
    for document in by_length.shortest_first():
        writer.add_document(**document)
        documents += 1
        if documents % WRITE_REPORT == 0:
            written(WRITE_REPORT, by_length.count)
    written(documents % WRITE_REPORT, by_length.count)
    return documents


def length_step(document: dict[str, Any]) -> int:
    """Which spill file a document goes to: its words, title and body (the length BM25
    counts, stop words aside), on a scale of LENGTH_STEPS files per doubling."""
    title, body = document["text"]
    words = len(title.split()) + len(body.split())
    return int(LENGTH_STEPS * math.log2(words)) if words > 1 else 0


class ByLength:
    """Documents spilled to files by length, read back shortest first, each file in the
    order written; the files go as they are read.

    Pickled: only this process writes and reads them, inside a build directory no one
    else touches, and a document holds a datetime and a (title, body) pair that must
    stay one object (schema.py analyzes it once for two fields).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self._files: dict[int, IO[bytes]] = {}
        directory.mkdir()

    def add(self, document: dict[str, Any]) -> None:
        step = length_step(document)
        spill = self._files.get(step)
        if spill is None:
            spill = self._files[step] = self._path(step).open("wb")
        pickle.dump(document, spill, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def shortest_first(self) -> Iterator[dict[str, Any]]:
        try:
            for step in sorted(self._files):
                self._files[step].close()
                path = self._path(step)
                with path.open("rb") as spill:
                    while True:
                        try:
                            yield pickle.load(spill)  # noqa: S301 (our own file, see above)
                        except EOFError:
                            break
                path.unlink()
        finally:
            self.close()

    def _path(self, step: int) -> Path:
        return self.directory / f"{step:03d}"

    def close(self) -> None:
        """Close and delete every file left."""
        for spill in self._files.values():
            spill.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def write_raw(directory: Path, documents: Iterable[dict[str, Any]]) -> int:
    """Only Whoosh's part of a rebuild: prepared documents into a fresh index (no database,
    no text extraction, a cold stemmer cache). The benchmark's ceiling; returns the count."""
    directory.mkdir(parents=True)
    writer = storage(directory).create_index(make_schema(make_analyzer())).writer(
        limitmb=WRITER_MEMORY_MB)
    count = 0
    for document in documents:
        writer.add_document(**document)
        count += 1
    writer.commit()
    return count
