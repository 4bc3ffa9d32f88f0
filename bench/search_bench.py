"""Search at scale: reindex speed, the raw Whoosh ceiling, query latency, commit-to-searchable.

Fills a fresh database with N documents (threads plus replies; a third of the threads are
ideas), rebuilds the index from it, then measures queries through the public search API
(Whoosh, the visibility check against the database and snippets included) and the time
from a reply's commit until the background indexer makes it searchable.

Run:  .venv/bin/python bench/search_bench.py [--documents 100000] [--database-url URL]
Without --database-url it uses an SQLite file in a temporary directory.

Or, on a data set generate.py made, its query set (bench/queries.py) through the search
page, in process: p50/p95/p99 per category and the known answers found in the top 3.

      .venv/bin/python bench/search_bench.py --query-set bench/out/queries-S.json \
          --database-url sqlite:////tmp/cocreate-bench-S.db

`--http` sends them to gunicorn (2 sync workers, gunicorn.conf.py) one at a time instead,
a new connection each, and reports the workers' resident memory after the set; with
`--writes-per-second N` as well, replies arrive meanwhile and `flask search worker`
indexes them (each commit makes the workers open the index again).

`--no-cache` measures the capped searches themselves (SEARCH_CACHE_SIZE=0: with the
cache on, the repeats of `--repeat` come from it); `--compare-uncapped` runs each query
with the caps and without any (no scan cap, every word of a prefix) and reports how many
of the exhaustive top 10 the capped page shows (those runs are in query_set.py).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import AnonymousUserMixin
from flask_migrate import upgrade
from query_set import background_writes, compare_uncapped, run_query_set
from shared import progress_bar
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ideas
from forum import create_app
from forum.accounts.models import User
from forum.companies.models import Company
from forum.config import Config
from forum.database import utcnow, write_transaction
from forum.events.log import record
from forum.events.types import POST_CREATED
from forum.extensions import db
from forum.search import services
from forum.search.documents import thread_documents, visible_threads
from forum.search.rebuild import count_threads, rebuild, write_raw
from forum.search.runtime import get_runtime
from forum.threads.models import Post, Thread
from ideas.models import Idea

REPLIES_PER_THREAD = 4  # on average: documents = threads * (1 + 4)
COMPANIES = 20
USERS = 500
BATCH = 5_000
STATUSES = ["open", "under_review", "planned", "in_progress", "shipped", "declined"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pre", "gra", "tor", "bel",
             "cor", "dan", "fis", "hul", "jen", "mar", "pol", "sed", "tri", "wex", "yal", "zum"]


def vocabulary(rng: random.Random, size: int = 8_000) -> list[str]:
    """Pronounceable made-up words; drawn with Zipf-like weights, as real text is."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Text:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary(rng)
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.words))]

    def sentence(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        return " ".join(self.rng.choices(self.words, self.weights, k=count))

    def mid_word(self) -> str:
        """A word of middling frequency: the kind people search for."""
        return self.words[self.rng.randint(50, 2_000)]


def make_app(database_url: str, index_dir: Path) -> Flask:
    config = Config(secret_key="bench")  # noqa: S106 (a throwaway database)
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.SEARCH_INDEX_DIR = str(index_dir)
    config.SEARCH_INDEXER_THREAD = False
    return create_app(config, plugins=[ideas.init_app])


def fill(documents: int, text: Text) -> int:
    """Bulk-insert companies, users, threads (a third ideas) and replies; returns threads."""
    session = db.session
    session.execute(insert(Company), [{"slug": f"company{n}", "name": f"Company {n}"}
                                      for n in range(COMPANIES)])
    session.execute(insert(User), [{"username": f"user{n}", "email": f"user{n}@example.com",
                                    "password_hash": "x"} for n in range(USERS)])
    session.commit()
    companies = list(session.scalars(select(Company.id)))
    users = list(session.scalars(select(User.id)))
    threads = max(1, documents // (1 + REPLIES_PER_THREAD))
    with progress_bar(threads, "Filling the database (threads)") as bar:
        for start in range(0, threads, BATCH // (1 + REPLIES_PER_THREAD)):
            size = min(BATCH // (1 + REPLIES_PER_THREAD), threads - start)
            _fill_chunk(session, text, size, companies, users)
            bar.update(size)
    return threads


def _fill_chunk(session: Session, text: Text, size: int, companies: list[int],
                users: list[int]) -> None:
    rng, now = text.rng, utcnow()
    rows = [{"company_id": rng.choice(companies), "author_id": rng.choice(users),
             "kind": "idea" if rng.random() < 1 / 3 else rng.choice(
                 ["question", "problem", "discussion", "praise"]),
             "title": text.sentence(3, 9).capitalize(), "slug": "t",
             "reply_count": 0, "post_count": 1, "created_at": now, "last_posted_at": now}
            for _ in range(size)]
    ids = list(session.scalars(insert(Thread).returning(Thread.id), rows))
    posts, ideas_rows = [], []
    for thread_id, row in zip(ids, rows, strict=True):
        replies = rng.randint(0, 2 * REPLIES_PER_THREAD)
        for number in range(1, replies + 2):
            posts.append({"thread_id": thread_id, "number": number,
                          "author_id": rng.choice(users), "body_source": "",
                          "body_html": f"<p>{text.sentence(15, 80)}</p>",
                          "created_at": now})
        if row["kind"] == "idea":
            ideas_rows.append({"thread_id": thread_id, "company_id": row["company_id"],
                               "status": rng.choice(STATUSES), "vote_count": rng.randint(0, 500)})
    session.execute(insert(Post), posts)
    if ideas_rows:
        session.execute(insert(Idea), ideas_rows)
    session.commit()


def all_documents() -> list[dict[str, Any]]:
    """Every document, built once, for the raw Whoosh ceiling."""
    found: list[dict[str, Any]] = []
    with Session(db.engine) as session:
        ids = list(session.scalars(select(Thread.id).order_by(Thread.id)))
        for start in range(0, len(ids), 500):
            threads = visible_threads(session, ids[start:start + 500])
            found.extend(thread_documents(session, threads))
    return found


def raw_whoosh(documents: list[dict[str, Any]], directory: Path) -> float:
    """Seconds for add_document + commit alone: no database, no text extraction."""
    started = time.perf_counter()
    write_raw(directory, documents)
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def query_latencies(text: Text, repeat: int) -> dict[str, tuple[float, float]]:
    """p50/p95 milliseconds per kind of query, through services.search."""
    viewer = AnonymousUserMixin()
    company = db.session.scalar(select(Company.id))
    kinds: dict[str, Callable[[], dict[str, Any]]] = {
        "single term": lambda: {"query": text.mid_word()},
        "two terms": lambda: {"query": f"{text.mid_word()} {text.words[text.rng.randint(0, 200)]}"},
        "phrase": lambda: {"query": f'"{text.sentence(2, 2)}"'},
        "filtered": lambda: {"query": text.mid_word(), "company_id": company, "kind": "idea",
                             "status": "planned"},
        "sorted by votes": lambda: {"query": text.mid_word(), "sort": "votes"},
    }
    results = {}
    for name, make in kinds.items():
        samples = []
        for _ in range(repeat):
            arguments = make()
            started = time.perf_counter()
            services.search(arguments.pop("query"), viewer=viewer, **arguments)
            samples.append(time.perf_counter() - started)
            db.session.rollback()
        results[name] = percentiles(samples)
    return results


def commit_to_searchable(app: Flask, rounds: int, writes_per_second: float = 0
                         ) -> tuple[float, float]:
    """Seconds from a reply's commit until search finds it, with the indexer thread on
    and, with `writes_per_second`, other replies arriving meanwhile."""
    runtime = get_runtime(app)
    runtime.start_indexer_thread()
    thread = db.session.scalar(select(Thread).order_by(Thread.id.desc()))
    author = db.session.scalar(select(User))
    stop, written = threading.Event(), []
    load = threading.Thread(target=background_writes,
                            args=(app, writes_per_second, stop, written), daemon=True)
    if writes_per_second:
        load.start()
    started_load = time.perf_counter()
    try:
        samples = _searchable_rounds(rounds, thread, author)
    finally:
        stop.set()
        if load.is_alive():
            load.join()
        # Until its last commit (a merge may take a while): the workspace it writes into
        # is removed next.
        runtime.stop_indexer_thread(timeout=None)
    if writes_per_second:
        rate = len(written) / (time.perf_counter() - started_load)
        print(f"other replies written meanwhile: {len(written)}, {rate:.1f} per second")
    return statistics.median(samples), max(samples)


def _searchable_rounds(rounds: int, thread: Thread, author: User) -> list[float]:
    samples = []
    for round_number in range(rounds):
        word = f"zzmarker{round_number}q"
        with write_transaction():
            post = Post(thread_id=thread.id, number=10_000 + round_number,
                        author_id=author.id, body_source=word, body_html=f"<p>{word}</p>")
            db.session.add(post)
            record(POST_CREATED, author, post, thread.company_id)
        committed = time.perf_counter()
        while services.search(word, viewer=AnonymousUserMixin()).total == 0:
            db.session.rollback()
            time.sleep(0.005)
        samples.append(time.perf_counter() - committed)
    return samples


@contextmanager
def workspace(database_url: str | None, keep: str | None) -> Iterator[tuple[str, Path]]:
    """A directory for the SQLite file and the indexes: temporary, or `--keep DIR`."""
    if keep:
        root = Path(keep)
        root.mkdir(parents=True, exist_ok=False)
        yield database_url or f"sqlite:///{root / 'bench.db'}", root
        return
    with tempfile.TemporaryDirectory(prefix="search-bench-") as directory:
        root = Path(directory)
        yield database_url or f"sqlite:///{root / 'bench.db'}", root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an EMPTY database (it is migrated and filled)")
    parser.add_argument("--queries", type=int, default=200, help="per kind of query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writes-per-second", type=float, default=None,
                        help="other replies written while commit-to-searchable is measured "
                        "(default 20); with --query-set --http, replies written while the "
                        "queries run, with `flask search worker` indexing them (default 0)")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR (new) and keep it")
    parser.add_argument("--query-set", type=Path, metavar="JSON",
                        help="run this query set (bench/queries.py) on --database-url, a "
                        "data set generate.py made and indexed, instead of filling one")
    parser.add_argument("--repeat", type=int, default=1, help="with --query-set: runs of each")
    parser.add_argument("--no-cache", action="store_true",
                        help="with --query-set: turn the result cache off (SEARCH_CACHE_SIZE=0)")
    parser.add_argument("--scan-cap", type=int, metavar="N", action="append",
                        help="with --query-set: SEARCH_SCAN_CAP (default: the app's); "
                        "with --compare-uncapped, once per cap to compare")
    parser.add_argument("--http", action="store_true",
                        help="with --query-set: through gunicorn (2 sync workers), not in process")
    parser.add_argument("--compare-uncapped", action="store_true",
                        help="with --query-set: each query's top 10 capped vs exhaustive")
    args = parser.parse_args()
    if args.query_set:
        if not args.database_url:
            parser.error("--query-set needs the --database-url of a generated data set")
        caps: list[int | None] = list(args.scan_cap or [None])
        if args.compare_uncapped:
            compare_uncapped(args.query_set, args.database_url, caps)
        else:
            if len(caps) > 1:
                parser.error("one --scan-cap at a time, except with --compare-uncapped")
            if args.writes_per_second and not args.http:
                parser.error("--writes-per-second with --query-set needs --http (the "
                             "indexer runs as its own process beside gunicorn)")
            run_query_set(args.query_set, args.database_url, args.repeat, not args.no_cache,
                          args.http, caps[0], args.writes_per_second or 0)
        return
    text = Text(random.Random(args.seed))
    with workspace(args.database_url, args.keep) as (database_url, root):
        app = make_app(database_url, root / "index")
        with app.app_context():
            upgrade()
            report(app, args, text, root)


def report(app: Flask, args: argparse.Namespace, text: Text, root: Path) -> None:
    started = time.perf_counter()
    fill(args.documents, text)
    print(f"database filled in {time.perf_counter() - started:.1f}s")
    store = get_runtime(app).store
    with progress_bar(count_threads(db.engine), "Reindexing: threads read") as bar:
        result = rebuild(store, db.engine, progress=bar.update)
    print(f"reindex: {result.documents:,} documents from {result.threads:,} threads in "
          f"{result.seconds:.1f}s = {result.documents / result.seconds:,.0f} documents/s")
    documents = all_documents()
    seconds = raw_whoosh(documents, root / "raw")
    print(f"raw Whoosh add_document + commit: {len(documents):,} documents in {seconds:.1f}s "
          f"= {len(documents) / seconds:,.0f} documents/s (the ceiling)")
    del documents
    print(f"{'query (services.search, page 1)':34} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in query_latencies(text, args.queries).items():
        print(f"{name:34} {p50:8.1f} {p95:8.1f}")
    per_second = 20 if args.writes_per_second is None else args.writes_per_second
    median, worst = commit_to_searchable(app, rounds=20, writes_per_second=per_second)
    print(f"commit to searchable (indexer thread, poll 0.5s, {per_second:g} "
          f"other writes/s): median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")


if __name__ == "__main__":
    main()
