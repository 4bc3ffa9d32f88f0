"""The indexer: follows the event log into the index, one batch per Whoosh commit.

Each batch reads the events after the index's last applied id, re-reads the current
state of the threads and posts they name, ends its database transaction, and only then
writes Whoosh: deletions, documents, and the meta document holding the batch's last
event id, all in one commit. Whoosh commits atomically (a new table of contents replaces
the old one), so after a crash or kill -9 the index either has the whole batch and its id
or neither, and the next run starts again right after the last id it does have. Applying
a batch again is harmless anyway: every document is rebuilt from the database.

Only one indexer runs at a time per index directory (`indexer.lock`, plus Whoosh's own
write lock underneath). The event log is kept, so nothing is pruned here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from whoosh.index import FileIndex

from forum.search import feed
from forum.search.documents import Changes, changes_for
from forum.search.mapped import release_pages
from forum.search.rebuild import RebuildRunning, rebuild_if_unusable
from forum.search.store import (
    IndexMissing,
    IndexStore,
    IndexUnavailable,
    OpenIndex,
    meta_document,
)

log = logging.getLogger("forum.search")

@dataclass(frozen=True)
class IndexerSettings:
    batch_size: int = 500
    writer_timeout: float = 30.0
    poll_interval: float = 0.5

    @classmethod
    def from_config(cls, config: dict) -> IndexerSettings:
        return cls(
            batch_size=int(config.get("SEARCH_BATCH_SIZE", 500)),
            writer_timeout=float(config.get("SEARCH_WRITER_TIMEOUT", 30.0)),
            poll_interval=float(config.get("SEARCH_POLL_INTERVAL", 0.5)),
        )


@dataclass(frozen=True)
class Batch:
    """One applied batch: the event ids it covered and what it wrote."""

    first_id: int
    last_id: int
    rows: int  # events read
    documents: int


def replies_shared_reader(opened: OpenIndex) -> Callable[[set[int]], dict[int, dict[str, Any]]]:
    """`read(thread_ids)`: the shared fields recorded on these threads' documents, i.e.
    what their replies were indexed with (reading the index is fine at any time)."""

    def read(thread_ids: set[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        with opened.index.searcher() as searcher:
            for thread_id in thread_ids:
                stored = searcher.document(key=f"t:{thread_id}")
                if stored and isinstance(stored.get("shared"), dict):
                    found[thread_id] = stored["shared"]
        return found

    return read


class AlreadyRunning(Exception):
    """Another indexer holds this index directory's lock."""


class Indexer:
    """Follows the event log into the index in `store`; hold `lock()` around its use."""

    def __init__(self, store: IndexStore, engine: Engine, settings: IndexerSettings) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self._lock = store.indexer_lock()

    def lock(self) -> None:
        """Take the indexer lock or raise AlreadyRunning naming the holder."""
        if not self._lock.acquire():
            raise AlreadyRunning(
                f"another search indexer is running (pid {self._lock.holder()}, "
                f"lock {self._lock.path}); only one may write the index")

    def unlock(self) -> None:
        self._lock.release()

    def run_once(self) -> Batch | None:
        """Apply one batch; None when the log has nothing after the index's last id."""
        return self.apply(self.store.open_current())

    def apply(self, opened: OpenIndex) -> Batch | None:
        with Session(self.engine) as session:
            batch = feed.pending(session, opened.last_applied, self.settings.batch_size)
            if batch is None:
                return None
            changes = changes_for(session, batch.threads, batch.posts,
                                  replies_shared_reader(opened))
        # The database transaction is over: Whoosh is never written inside one.
        self._write(opened.index, changes, batch.last_id)
        return Batch(batch.first_id, batch.last_id, batch.events, len(changes.documents))

    def run_until_idle(self, max_batches: int | None = None) -> int:
        """Apply batches until the log is drained; returns how many were applied."""
        applied = 0
        while max_batches is None or applied < max_batches:
            if self.run_once() is None:
                break
            applied += 1
        return applied

    def _write(self, ix: FileIndex, changes: Changes, last_id: int) -> None:
        writer = ix.writer(timeout=self.settings.writer_timeout)
        try:
            for thread_id in changes.threads_to_clear:
                writer.delete_by_term("thread_id", str(thread_id))
            for key in changes.keys_to_delete:
                writer.delete_by_term("key", key)
            for document in changes.documents:
                writer.add_document(**document)
            writer.update_document(**meta_document(last_id))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        release_pages()  # the segments it read to delete documents and merge

    def open_or_rebuild(self) -> OpenIndex | None:
        """The current index; built first when missing or unreadable (logged, not raised)."""
        try:
            return self.store.open_current()
        except IndexUnavailable as problem:
            state = "missing" if isinstance(problem, IndexMissing) else "unreadable"
            log.warning("Search index %s (%s); rebuilding it from the database",
                        state, problem.reason)
        try:
            result = rebuild_if_unusable(self.store, self.engine)
        except RebuildRunning as running:
            log.info("Waiting for the search index rebuild: %s", running)
            return None
        if result is not None:
            log.info("Search index rebuilt: %d documents in %.1fs", result.documents,
                     result.seconds)
        return self.store.open_current()

    def step(self) -> Batch | None:
        """One turn of the worker loop: make sure there is an index, then apply."""
        try:
            opened = self.open_or_rebuild()
            if opened is None:
                return None
            batch = self.apply(opened)
            if batch is not None:
                log.info("Search index: applied events %d-%d (%d events, %d documents)",
                         batch.first_id, batch.last_id, batch.rows, batch.documents)
            return batch
        except IndexUnavailable as problem:
            log.warning("Search indexer paused: %s", problem.reason)
        except OperationalError as error:
            log.warning("Search indexer could not read the event log (will retry): %s",
                        error.orig if error.orig is not None else error)
        return None

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; a busy log is drained without sleeping."""
        while not stop.is_set():
            try:
                batch = self.step()
            except Exception:
                log.exception("Search indexer failed; retrying")
                batch = None
            if batch is None:
                stop.wait(self.settings.poll_interval)
