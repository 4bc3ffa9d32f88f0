"""Rebuilding the index from the database into a fresh directory, then swapping it in.

The order is what makes a rebuild safe while people keep writing:

1. read the event log's horizon H (every change up to H is committed and thus visible);
2. read every visible thread and post, in chunks, each in a short transaction;
3. commit the new index with H as its last applied id, and publish it.

A change made during step 2 has an event id above H, so the indexer applies it to the
new index after the swap, whether or not step 2 saw it; re-applying is harmless because
documents are rebuilt from the database. Searches keep using the old index until the swap.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
) -> RebuildResult:
    """Build a complete new index and make it current; `progress(n)` after each chunk."""
    lock = _rebuild_lock(store)
    try:
        return _build_and_publish(store, engine, progress)
    finally:
        lock.release()


def rebuild_if_unusable(store: IndexStore, engine: Engine) -> RebuildResult | None:
    """The automatic rebuild: None when a usable index appeared while it waited its turn
    (another process or thread rebuilt it first)."""
    lock = _rebuild_lock(store)
    try:
        if _usable(store):
            return None
        return _build_and_publish(store, engine, lambda _threads: None)
    finally:
        lock.release()


def _rebuild_lock(store: IndexStore) -> ProcessLock:
    lock = store.rebuild_lock()
    if not lock.acquire(timeout=LOCK_WAIT):
        raise RebuildRunning(f"another rebuild is running (pid {lock.holder()})")
    return lock


def _build_and_publish(
    store: IndexStore, engine: Engine, progress: Callable[[int], object]
) -> RebuildResult:
    store.remove_stale()
    started = time.monotonic()
    with Session(engine) as session:
        horizon = feed.horizon(session)
        session.commit()
    build, ix = store.create_build()
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        threads, documents = _write_everything(engine, writer, progress)
        writer.add_document(**meta_document(horizon))
    except BaseException:
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


def _write_everything(
    engine: Engine, writer: IndexWriter, progress: Callable[[int], object]
) -> tuple[int, int]:
    """Stream every visible thread's documents into `writer`, a chunk per transaction.

    Newest threads first (a chunk of them at a time): a search that stops at its scan
    cap has then seen the most recent matches, not the oldest (see bounded.py).
    """
    before, threads, documents = None, 0, 0
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
                writer.add_document(**document)
                documents += 1
            session.commit()  # a short read transaction per chunk
            before, threads = ids[-1], threads + len(ids)
            progress(len(ids))
    return threads, documents


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
