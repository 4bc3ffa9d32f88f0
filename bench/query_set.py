"""A query set (bench/queries.py) through the search page: its latency per category,
its known answers in the top 3, and how far the capped top 10 agrees with an exhaustive
search. Run through search_bench.py's `--query-set`; similar_bench.py borrows its client.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from load import Server
from shared import ROOT, app_env, index_dir, progress_bar, search_worker, sqlalchemy_url
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ideas
from forum import create_app
from forum.accounts.models import User
from forum.config import Config
from forum.database import write_transaction
from forum.events.log import record
from forum.events.types import POST_CREATED
from forum.extensions import db
from forum.threads.models import Post, Thread

_HIT_RE = re.compile(r'class="search-hit-title"><a href="[^"]*/(\d+)-')
WARM_UP = 5  # queries run first and not counted: the first request builds the searcher
SETTLE_SECONDS = 5.0  # with writes: after the indexer and the writer start, before queries


def query_set_client(database_url: str, **limits: int) -> FlaskClient:
    """A test client of the app on a generated data set; `limits` as SEARCH_* settings."""
    config = Config(secret_key="bench")  # noqa: S106 (read-only: nothing is signed)
    config.SQLALCHEMY_DATABASE_URI = sqlalchemy_url(database_url)
    config.SEARCH_INDEX_DIR = str(index_dir(database_url))
    config.SEARCH_INDEXER_THREAD = False
    config.RATELIMIT_ENABLED = False
    for name, value in limits.items():
        setattr(config, f"SEARCH_{name.upper()}", value)
    return create_app(config, plugins=[ideas.init_app]).test_client()


Fetch = Callable[[dict[str, Any]], tuple[float, list[int]]]


def run_query_set(path: Path, database_url: str, repeat: int, cache: bool = True,
                  http: bool = False, scan_cap: int | None = None,
                  writes_per_second: float = 0) -> None:
    """Every query of a query set through GET /search, as a signed-out visitor: in
    process (Flask's test client), or over HTTP from gunicorn with 2 workers; then with
    `writes_per_second` replies written meanwhile and `flask search worker` indexing
    them (each of its commits makes the workers open the index again)."""
    limits = {} if cache else {"cache_size": 0}
    if scan_cap is not None:
        limits["scan_cap"] = scan_cap
    if not http:
        client = query_set_client(database_url, **limits)
        time_queries(path, repeat, lambda query: search_page(client, query))
        return
    env = app_env(database_url, **{f"SEARCH_{name.upper()}": str(value)
                                   for name, value in limits.items()})
    server = Server("wsgi:app", ROOT, env, health="/healthz", workers=2)
    server.start()
    try:
        with writes_meanwhile(database_url, env, writes_per_second):
            time_queries(path, repeat, lambda query: search_over_http(server.base, query))
        rss = server.rss_mb()
    finally:
        server.stop()
    print("workers' resident memory after the query set: " + ", ".join(
        f"{mb:.0f} MB" for mb in sorted(rss.values())))


def time_queries(path: Path, repeat: int, fetch: Fetch) -> None:
    """p50/p95/p99/max per category, one query at a time, and known answers in the top 3."""
    queries = json.loads(path.read_text())["queries"]
    for query in queries[:WARM_UP]:
        fetch(query)
    samples: dict[str, list[float]] = {}
    found: dict[str, list[bool]] = {}
    slowest: list[tuple[float, str, str]] = []
    with progress_bar(len(queries) * repeat, "Queries") as bar:
        for query in queries:
            for _ in range(repeat):
                seconds, threads = fetch(query)
                samples.setdefault(query["category"], []).append(seconds)
                slowest.append((seconds, query["category"], query["q"]))
                bar.update(1)
            if query["expected_thread_id"] is not None:
                found.setdefault(query["category"], []).append(
                    query["expected_thread_id"] in threads[:3])
    print(f"{'category':18} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}")
    for category, times in samples.items():
        p50, p95, p99 = (quantile(times, q) * 1000 for q in (0.5, 0.95, 0.99))
        print(f"{category:18} {len(times) // repeat:7} {p50:8.0f} {p95:8.0f} {p99:8.0f} "
              f"{max(times) * 1000:8.0f}")
    everything = [t for times in samples.values() for t in times]
    print(f"{'all':18} {len(everything) // repeat:7} {quantile(everything, 0.5) * 1000:8.0f} "
          f"{quantile(everything, 0.95) * 1000:8.0f} {quantile(everything, 0.99) * 1000:8.0f} "
          f"{max(everything) * 1000:8.0f}")
    print("slowest: " + ", ".join(f"{q!r} ({category}) {seconds * 1000:.0f} ms" for
                                  seconds, category, q in sorted(slowest, reverse=True)[:5]))
    for category, hits in found.items():
        print(f"known answer in the top 3, {category}: {sum(hits)} of {len(hits)}")


def compare_uncapped(path: Path, database_url: str, scan_caps: list[int | None]) -> None:
    """Each query's first 10 threads with the caps as configured (or at each scan cap of
    `scan_caps`) and with none (no scan cap, every word of a prefix, no cache): how many
    of the exhaustive top 10 the capped page shows, on average per category and over all
    queries without a known answer, and the capped pages' times."""
    queries = json.loads(path.read_text())["queries"]
    capped = {cap: query_set_client(database_url, cache_size=0,
                                    **({} if cap is None else {"scan_cap": cap}))
              for cap in scan_caps}
    exhaustive = query_set_client(database_url, scan_cap=0, prefix_terms=0, cache_size=0,
                                  step_cap=0)
    for query in queries[:WARM_UP]:
        for client in capped.values():
            search_page(client, query)
    agreement: dict[int | None, dict[str, list[float]]] = {cap: {} for cap in scan_caps}
    times: dict[int | None, list[float]] = {cap: [] for cap in scan_caps}
    slow: list[tuple[float, str]] = []
    with progress_bar(len(queries), "Queries, capped and not") as bar:
        for query in queries:
            seconds, best = search_page(exhaustive, query)
            best = best[:10]
            slow.append((seconds, query["q"]))
            for cap, client in capped.items():
                took, top = search_page(client, query)
                share = len(set(top[:10]) & set(best)) / len(best) if best else 1.0
                agreement[cap].setdefault(query["category"], []).append(share)
                times[cap].append(took)
            bar.update(1)
    for cap in scan_caps:
        print(f"scan cap {'as configured' if cap is None else f'{cap:,}'}: "
              + " / ".join(f"{quantile(times[cap], q) * 1000:.0f}"
                           for q in (0.5, 0.95, 0.99)) + " ms at p50 / p95 / p99")
        print(f"{'category':18} {'queries':>7} {'top-10 agreement':>17} {'under 9/10':>10}")
        for category, shares in agreement[cap].items():
            print(f"{category:18} {len(shares):7} {statistics.mean(shares) * 10:14.2f}/10 "
                  f"{sum(share < 0.9 for share in shares):10}")
        others = [share for category, shares in agreement[cap].items()
                  if not category.startswith("known") for share in shares]
        print(f"{'all but known':18} {len(others):7} {statistics.mean(others) * 10:14.2f}/10 "
              f"{sum(share < 0.9 for share in others):10}")
    print("slowest exhaustive: " + ", ".join(f"{q} {s * 1000:.0f} ms"
                                             for s, q in sorted(slow)[-5:]))


def search_page(client: FlaskClient, query: dict[str, Any]) -> tuple[float, list[int]]:
    """Seconds for one search page, and the thread ids it lists, in order."""
    started = time.perf_counter()
    response = client.get("/search", query_string={"q": query["q"], **query["params"]})
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"/search answered {response.status_code} to {query}")
    return seconds, [int(found) for found in _HIT_RE.findall(response.get_data(as_text=True))]


def search_over_http(base: str, query: dict[str, Any]) -> tuple[float, list[int]]:
    """Seconds for one search page from the server at `base` (a new connection each, as
    gunicorn's sync workers close them), and the thread ids it lists, in order."""
    url = f"{base}/search?" + urllib.parse.urlencode({"q": query["q"], **query["params"]})
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (our own server)
        page = answer.read().decode()
    seconds = time.perf_counter() - started
    return seconds, [int(found) for found in _HIT_RE.findall(page)]


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def writes_meanwhile(database_url: str, env: dict[str, str], per_second: float
                     ) -> Iterator[None]:
    """Replies at `per_second` to the newest threads and `flask search worker` indexing
    them, for the duration of the block (nothing when 0); says how many were written."""
    if not per_second:
        yield
        return
    with search_worker(env):
        app = query_set_client(database_url).application
        stop, written = threading.Event(), []
        load = threading.Thread(target=background_writes,
                                args=(app, per_second, stop, written), daemon=True)
        started = time.perf_counter()
        load.start()
        # A site's indexer runs for days; this one has just started (importing the app,
        # opening the index) on the same CPUs: the queries wait until it is steady.
        time.sleep(SETTLE_SECONDS)
        try:
            yield
        finally:
            stop.set()
            load.join()
    seconds = time.perf_counter() - started
    print(f"replies written while the queries ran: {len(written):,}, "
          f"{len(written) / seconds:.1f} per second, indexed by `flask search worker`")


def background_writes(app: Flask, per_second: float, stop: threading.Event,
                      written: list[int]) -> None:
    """Replies to random threads at `per_second` until `stop` (another thread's load)."""
    rng = random.Random(7)
    with app.app_context():
        threads = list(db.session.scalars(select(Thread.id).order_by(Thread.id.desc())
                                          .limit(1_000)))
        author = db.session.scalar(select(User))
        # Past every post number there is, this run's and earlier runs' replies included.
        number = max(20_000, db.session.scalar(select(func.max(Post.number))) or 0)
        next_at = time.perf_counter()
        while not stop.is_set():
            thread = db.session.get(Thread, rng.choice(threads))
            number += 1
            with write_transaction():
                post = Post(thread_id=thread.id, number=number, author_id=author.id,
                            body_source="more load", body_html="<p>more load</p>")
                db.session.add(post)
                record(POST_CREATED, author, post, thread.company_id)
            written.append(1)
            next_at += 1 / per_second
            stop.wait(max(0.0, next_at - time.perf_counter()))
