"""`flask search reindex | status | worker`: the operator's handles on the search index."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session
from whoosh import query as wq

from forum.extensions import db
from forum.search import feed
from forum.search.indexer import AlreadyRunning
from forum.search.rebuild import RebuildRunning, count_threads, rebuild
from forum.search.runtime import STATS_DIRECTORY, get_runtime
from forum.search.schema import POST, THREAD
from forum.search.stats import gather
from forum.search.store import IndexUnavailable

search_cli = AppGroup("search", help="The search index: rebuild it, check it, keep it fed.")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the index from the database into a new directory, then swap it in.

    Searches keep using the old index meanwhile, and changes made during the rebuild are
    applied to the new index by the indexer after the swap.
    """
    rebuild_with_progress()


def rebuild_with_progress() -> None:
    """The rebuild with progress bars and what it did (also run by `flask backup restore`)."""
    store = get_runtime().store
    bars = _RebuildBars(count_threads(db.engine))
    try:
        with bars:
            result = rebuild(store, db.engine, progress=bars.read, written=bars.written)
    except RebuildRunning as running:
        raise click.ClickException(f"Not rebuilding: {running}.") from None
    rate = result.documents / result.seconds if result.seconds > 0 else 0.0
    click.echo(f"Indexed {result.threads:,} threads as {result.documents:,} documents in "
               f"{result.seconds:.1f}s ({rate:,.0f} documents/s).")
    click.echo(f"Index {result.version} is now current, up to event {result.last_applied}.")


class _RebuildBars:
    """A bar for the threads read, then one for the documents written (shortest first,
    so only once every thread is read: rebuild.py)."""

    def __init__(self, threads: int) -> None:
        self._stack = ExitStack()
        self._reading = click.progressbar(length=threads, label="Reading threads",
                                          show_pos=True, show_eta=True)
        self._writing: Any = None

    def __enter__(self) -> _RebuildBars:
        self._stack.enter_context(self._reading)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def read(self, threads: int) -> None:
        self._reading.update(threads)

    def written(self, documents: int, total: int) -> None:
        if self._writing is None:
            self._stack.close()  # the reading bar ends its line
            self._writing = self._stack.enter_context(click.progressbar(
                length=total, label="Indexing documents", show_pos=True, show_eta=True))
        self._writing.update(documents)


@search_cli.command("status")
def status() -> None:
    """Show the current index: generation, documents, lag behind the event log, and what
    the site's searches cost (cache hit rate, searches that hit the cap)."""
    store = get_runtime().store
    try:
        opened = store.open_current()
    except IndexUnavailable as problem:
        raise click.ClickException(
            f"No usable search index: {problem.reason}. Run `flask search reindex`.") from None
    with opened.index.searcher() as searcher:
        threads = len(searcher.search(wq.Term("doc_type", THREAD), limit=1))
        posts = len(searcher.search(wq.Term("doc_type", POST), limit=1))
        generation = searcher.reader().generation()
    with Session(db.engine) as session:
        backlog = feed.backlog(session, opened.last_applied)
    path = store.root / opened.version
    click.echo(f"Index: {path}")
    click.echo(f"Generation: {opened.version}:{generation} (changes with every commit)")
    click.echo(f"Documents: {threads + posts:,} ({threads:,} threads, {posts:,} posts)")
    click.echo(f"Last applied event: {opened.last_applied}")
    click.echo(f"Lag behind the event log: {backlog:,} events")
    click.echo(f"Size on disk: {_size(path) / 1_048_576:.1f} MB")
    totals = gather(store.root / STATS_DIRECTORY)
    if totals.processes == 0:
        click.echo("Searches: none reported in the last 10 minutes")
        return
    rate = "no lookups" if totals.hit_rate is None else f"{totals.hit_rate:.0%}"
    click.echo(f"Searches (the {totals.processes} processes reporting in the last 10 "
               f"minutes): {totals.searches:,}, {totals.capped:,} of them hit the cap "
               "(each is logged with its words and time)")
    click.echo(f"Result cache hit rate: {rate} of "
               f"{totals.cache_hits + totals.cache_misses:,} lookups")


@search_cli.command("worker")
@click.option("--once", is_flag=True, help="Apply what is pending, then exit.")
def worker(once: bool) -> None:
    """Follow the event log into the index (run one per index directory)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    runtime = get_runtime()
    indexer = runtime.indexer()
    try:
        indexer.lock()
    except AlreadyRunning as busy:
        raise click.ClickException(f"{busy}. Not starting a second one.") from None
    try:
        if once:
            if indexer.open_or_rebuild() is not None:
                indexer.run_until_idle()
        else:
            click.echo(f"Search worker {os.getpid()} following the event log into "
                       f"{runtime.store.root} every {indexer.settings.poll_interval}s; "
                       "Ctrl-C or SIGTERM stops it.")
            follow_until_signalled(indexer.run_forever)
    finally:
        indexer.unlock()
    click.echo("Search worker stopped.")


def follow_until_signalled(run_forever: Callable[[threading.Event], None]) -> None:
    """Run the loop in a thread of its own until SIGTERM or SIGINT, which let it finish
    its batch. The handlers run in this main thread, which never waits on `stop` itself:
    an Event set from a handler that interrupted its own wait() would block forever on
    the Event's lock, held by the thread the handler runs in."""
    stop = threading.Event()
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def follow() -> None:
        with app.app_context():
            run_forever(stop)

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    loop = threading.Thread(target=follow, name="search-worker")
    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    loop.start()
    while loop.is_alive():
        loop.join(0.5)


def _size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.iterdir() if item.is_file())
