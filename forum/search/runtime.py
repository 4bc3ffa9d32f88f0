"""Each app's search machinery: its index store, the process's searcher, its threads.

Nothing here runs when the app is built: the searcher is opened by the first search, the
development indexer thread starts with the first request (when configured), and a rebuild
thread starts only when a search finds the index missing or unreadable.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from whoosh.searching import Searcher

from forum.database import check_database
from forum.extensions import db
from forum.search.bounded import ResultCache, SearchLimits
from forum.search.indexer import AlreadyRunning, Indexer, IndexerSettings
from forum.search.kept import keep_only
from forum.search.mapped import release_pages
from forum.search.rebuild import RebuildRunning, rebuild_if_unusable
from forum.search.scoring import BM25F
from forum.search.stats import SearchStats
from forum.search.store import IndexMissing, IndexStore, IndexUnavailable
from forum.search.warm import warm
from forum.web import background_thread_wanted

log = logging.getLogger("forum.search")

EXTENSION = "cocreate.search"
REBUILD_RETRY = 60.0  # seconds before a failed automatic rebuild is tried again
STANDBY = 5.0  # seconds between two tries for the indexer lock
STATS_DIRECTORY = "stats"  # beside the index's versions: each process's search counts

_runtimes: weakref.WeakSet[SearchRuntime] = weakref.WeakSet()


class SearchRuntime:
    """One app's search state in this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.store = IndexStore(app.config["SEARCH_INDEX_DIR"])
        self.settings = IndexerSettings.from_config(app.config)
        self.limits = SearchLimits.from_config(app.config)
        self.cache = ResultCache(self.limits.cache_size)
        self.warm_segments = app.config.get("SEARCH_WARM", True)  # warm.py
        self.stats = SearchStats(self.store.root / STATS_DIRECTORY, self.cache)
        # Searchers not in use, each with the index version it reads. A Searcher reads
        # its files with seek + read, so two searches never share one; the lock guards
        # this list only, never a search.
        self._pool_lock = threading.Lock()
        self._idle: list[tuple[Searcher, str]] = []
        self._epoch = 0  # bumped by forget_searcher: searchers out now are closed on return
        self._thread_lock = threading.Lock()
        self._rebuild_thread: threading.Thread | None = None
        self._rebuild_started = -REBUILD_RETRY
        self._indexer_thread: threading.Thread | None = None
        self._indexer_stop = threading.Event()
        self.indexer_decided = False
        _runtimes.add(self)

    def indexer(self) -> Indexer:
        """An indexer for this app's index and database (call inside an app context)."""
        return Indexer(self.store, db.engine, self.settings)

    # Reading -------------------------------------------------------------------------

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher of the current index for this search alone.

        Raises IndexUnavailable (after starting a background rebuild) when there is no
        readable index, or the database's error when it is down too.
        """
        with self.reading() as (searcher, _generation):
            yield searcher

    @contextmanager
    def reading(self) -> Iterator[tuple[Searcher, str]]:
        """A searcher and the generation it reads ("<version>:<commit>"), which changes
        with every commit of the indexer and every rebuild (the result cache's key)."""
        try:
            searcher, version, epoch = self._checkout()
        except IndexUnavailable as problem:
            self.forget_searcher()
            # A rebuild reads the database: when that is what is down, its own error
            # says so, rather than a rebuild that cannot start.
            check_database()
            self.request_rebuild(problem)
            raise
        try:
            yield searcher, f"{version}:{searcher.reader().generation()}"
        except BaseException:
            _close(searcher)  # whatever broke, it is not handed to the next search
            raise
        finally:
            release_pages()  # what it read stays in the page cache, not in this process
        self._give_back(searcher, version, epoch)

    def _give_back(self, searcher: Searcher, version: str, epoch: int) -> None:
        """A searcher done with goes back to the idle ones, unless forgotten meanwhile."""
        with self._pool_lock:
            if epoch == self._epoch:
                self._idle.append((searcher, version))
                return
        _close(searcher)

    def warm_up(self) -> int | None:
        """Open the index now and read what searches keep of its segments (warm.py), as a
        server worker starts; how many segments were read, or None when there is no
        readable index yet (the first search then starts its rebuild) or SEARCH_WARM is
        off."""
        if not self.warm_segments:
            return None
        try:
            searcher, version, epoch = self._checkout()
        except IndexUnavailable:
            return None
        try:
            return len(list(searcher.leaf_searchers()))
        finally:
            release_pages()
            self._give_back(searcher, version, epoch)

    def forget_searcher(self) -> None:
        """Close the idle searchers, and those in use once they are done, so the next
        search opens the index again (after an error, or at exit)."""
        with self._pool_lock:
            idle, self._idle = self._idle, []
            self._epoch += 1
        for searcher, _version in idle:
            _close(searcher)

    def _checkout(self) -> tuple[Searcher, str, int]:
        """An idle searcher if it reads the latest commit, else a newly opened one.

        Not `Searcher.refresh()`: in Whoosh 2.7.5 it reuses the readers of segments that
        gained deletions since (and keeps segments merged away), so deleted documents
        come back. Reopening costs a few file opens, once per index commit.
        """
        version = self.store.current_version()
        with self._pool_lock:
            held = self._idle.pop() if self._idle else None
            epoch = self._epoch
        if held is not None:
            searcher, held_version = held
            if held_version == version and _up_to_date(searcher, version):
                return searcher, version, epoch
            _close(searcher)
        opened = self.store.open_current()
        searcher = opened.index.searcher(weighting=BM25F())
        keep_only(searcher.reader())  # what was kept of segments merged or rebuilt away
        if self.warm_segments:
            warm(searcher, self.limits.scan_cap)
        return searcher, opened.version, epoch

    # Automatic rebuild ---------------------------------------------------------------

    def request_rebuild(self, problem: IndexUnavailable) -> None:
        """Rebuild in a background thread, unless one is running or failed a moment ago."""
        with self._thread_lock:
            running = self._rebuild_thread is not None and self._rebuild_thread.is_alive()
            if running or time.monotonic() - self._rebuild_started < REBUILD_RETRY:
                return
            state = "missing" if isinstance(problem, IndexMissing) else "unreadable"
            log.error("Search index %s: %s. Rebuilding it in the background; search is "
                      "unavailable until then.", state, problem.reason)
            self._rebuild_started = time.monotonic()
            self._rebuild_thread = threading.Thread(
                target=self._rebuild, name="search-rebuild", daemon=True)
            self._rebuild_thread.start()

    def _rebuild(self) -> None:
        with self.app.app_context():
            try:
                result = rebuild_if_unusable(self.store, db.engine)
            except RebuildRunning as running:
                log.info("Search index: %s; waiting for it", running)
                return
            except Exception:
                log.exception("Rebuilding the search index failed")
                return
        if result is not None:
            log.info("Search index rebuilt in the background: %d documents",
                     result.documents)
        with self._thread_lock:
            self._rebuild_started = -REBUILD_RETRY

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        thread = self._rebuild_thread
        if thread is not None:
            thread.join(timeout)

    # The development indexer thread --------------------------------------------------

    def start_indexer_thread(self) -> bool:
        """Start the background indexer once per app and process; False if already started."""
        with self._thread_lock:
            if self._indexer_thread is not None and self._indexer_thread.is_alive():
                return False
            self._indexer_stop = threading.Event()
            self._indexer_thread = threading.Thread(
                target=self._run_indexer, args=(self._indexer_stop,),
                name="search-indexer", daemon=True)
            self._indexer_thread.start()
        return True

    def stop_indexer_thread(self, timeout: float | None = 10.0) -> None:
        """Ask the thread to finish its batch and stop; waits up to `timeout` seconds
        (None: until it has)."""
        self._indexer_stop.set()
        thread = self._indexer_thread
        if thread is not None:
            thread.join(timeout)

    @property
    def indexer_running(self) -> bool:
        return self._indexer_thread is not None and self._indexer_thread.is_alive()

    def _run_indexer(self, stop: threading.Event) -> None:
        with self.app.app_context():
            indexer = self.indexer()
            if not self._wait_for_lock(indexer, stop):
                return
            log.info("Search indexer thread started (index %s)", self.store.root)
            try:
                indexer.run_forever(stop)
            finally:
                indexer.unlock()
                log.info("Search indexer thread stopped")

    @staticmethod
    def _wait_for_lock(indexer: Indexer, stop: threading.Event) -> bool:
        """Stand by while another indexer (say `flask search worker`) holds the lock."""
        told = False
        while not stop.is_set():
            try:
                indexer.lock()
                return True
            except AlreadyRunning as busy:
                if not told:
                    log.info("%s; the indexer thread stands by", busy)
                    told = True
            stop.wait(STANDBY)
        return False


def _up_to_date(searcher: Searcher, version: str) -> bool:
    try:
        return bool(searcher.up_to_date())
    except Exception as error:  # its files went away under it: open afresh
        log.warning("Search index %s could not be checked: %s", version, error)
        return False


def _close(searcher: Searcher) -> None:
    try:
        searcher.close()
    except Exception:  # closing a broken index must not hide the first problem
        log.debug("closing a searcher failed", exc_info=True)


@atexit.register
def stop_background_threads(timeout: float = 10.0) -> None:
    """Stop every indexer thread, wait for running rebuilds and close the searchers (at
    exit, or in tests)."""
    for runtime in list(_runtimes):
        runtime.stop_indexer_thread(timeout)
        runtime.wait_for_rebuild(timeout)
        runtime.forget_searcher()


def init_app(app: Flask) -> None:
    """Attach the runtime; no files are touched and no thread starts here."""
    app.extensions[EXTENSION] = SearchRuntime(app)


def get_runtime(app: Any = None) -> SearchRuntime:
    target = app if app is not None else current_app
    runtime: SearchRuntime = target.extensions[EXTENSION]
    return runtime


def start_indexer_on_first_request() -> None:
    """SEARCH_INDEXER_THREAD: True, False, or None for "under the development server"."""
    runtime = get_runtime()
    if runtime.indexer_decided:
        return
    runtime.indexer_decided = True
    if background_thread_wanted("SEARCH_INDEXER_THREAD"):
        runtime.start_indexer_thread()
