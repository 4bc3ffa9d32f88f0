"""Real traffic: thousands of distinct pages drawn with a Zipf-like skew, signed-in customers
with sessions of their own, and votes and replies at a steady rate, against the hello app.

    .venv/bin/python bench/traffic.py --database-url URL [--duration 15] [--concurrency 8]
        [--signed-in 0.3] [--writes 0.02] [--customers 20] [--skew 1.0] [--seed 1]
        [--candidates sync:2,sync:4,gthread:2x4,gthread:2x4@2] [--out bench/out]
        [--label sqlite-S] [--page-cache-url redis://127.0.0.1:6379/12] [--warm-up 3]

For each candidate gunicorn setup (worker class:workers[xthreads][@keepalive], on top of
gunicorn.conf.py), serves bench/hello_app.py then the app and loads each with the same
generator: Python threads, one kept-alive http.client connection each. Meanwhile a probe
reuses a connection after idle gaps around gunicorn's old 2 s keep-alive. Writes
traffic-<label>.json and traffic-<label>.md into --out. After the mix, each alone for
--focus-duration seconds: signed-in idea pages, signed-in thread pages (both spread over
the same thousands of pages, always rendered), and writes (votes and replies), for issue
20's targets per kind; the report checks every target. The database changes a little
(votes toggled, replies posted by the customers). With --page-cache-url the app's workers
share kept pages in that Redis (PAGE_CACHE_URL), emptied before each candidate.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load import Server, echo, run_workers
from pages import USER_AGENT, machine, scale_of, sign_in
from shared import BENCH_DIR, DEFAULT_OUT, ROOT, app_env, dialect_of, search_worker, sqlalchemy_url
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from traffic_report import write_traffic_report
from traffic_urls import KIND_SHARES, Population, read_population

from forum.pagecache.shared import SharedPages

IDLE_GAPS = [0.5, 1.5, 2.0, 2.5, 3.0, 4.0]  # seconds a probe connection sits idle
WARM_UP = 3.0  # seconds of load before each measurement (--warm-up for the app's mix)
REPLY_SHARE = 1 / 3  # of writes; the rest are votes


@dataclass
class Candidate:
    """One gunicorn setup: "gthread:2x4@2" is 2 gthread workers of 4 threads, keep-alive 2 s."""

    spec: str
    worker_class: str = "sync"
    workers: int = 2
    threads: int = 1
    keepalive: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Candidate:
        setup, _, keepalive = spec.partition("@")
        worker_class, _, size = setup.partition(":")
        workers, _, threads = (size or "2").partition("x")
        return cls(spec, worker_class, int(workers), int(threads or 1),
                   int(keepalive) if keepalive else None)

    def server(self, app: str, chdir: Path, env: dict[str, str], health: str) -> Server:
        return Server(app, chdir, env, health=health, workers=self.workers,
                      worker_class=self.worker_class, threads=self.threads,
                      keepalive=self.keepalive)


@dataclass
class Request:
    kind: str
    signed_in: bool
    path: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    kind: str
    signed_in: bool
    status: int  # 0: no answer (reset, closed, timed out)
    seconds: float
    cache: str  # X-Page-Cache: hit, miss, stale, or "" when the page is not kept
    error: str = ""  # why no answer came: the exception's class


@dataclass
class Customer:
    """A signed-in customer: their own session, and the votes they can retract."""

    name: str
    cookie: str
    csrf: str
    voted: list[str] = field(default_factory=list)


FOCUSED = ("idea", "thread", "write")  # measured alone after the mix, signed in


class Traffic:
    """What each request of the mix is: kind, signed in or out, and writes at a steady rate;
    or, with `only`, one kind of page signed in ("idea", "thread"), or only writes."""

    def __init__(self, population: Population, customers: list[Customer],
                 signed_in: float, writes: float, only: str = "",
                 shares: dict[str, float] = KIND_SHARES) -> None:
        self.population = population
        self.shares = shares
        self.customers = customers
        self.signed_in = signed_in
        self.write_every = max(1, round(1 / writes)) if writes else 0
        self.only = only
        self.lock = threading.Lock()

    def next(self, rng: random.Random, number: int, connection: int) -> Request:
        if self.only == "write" or (
                self.write_every and (number + connection * 7) % self.write_every == 0):
            return self.write(rng)
        if self.only:
            return Request(self.only, True, self.population.pages[self.only].draw(rng),
                           headers=self.session(rng.choice(self.customers)))
        kind = rng.choices(list(self.shares), weights=list(self.shares.values()))[0]
        if rng.random() >= self.signed_in:
            return Request(kind, False, self.population.pages[kind].draw(rng),
                           headers={"User-Agent": USER_AGENT})
        customer = rng.choice(self.customers)
        path = (self.population.home_signed_in if kind == "home"
                else self.population.pages[kind].draw(rng))
        return Request(kind, True, path, headers=self.session(customer))

    def write(self, rng: random.Random) -> Request:
        """A vote cast or retracted (a customer's earlier vote), or a reply."""
        customer = rng.choice(self.customers)
        headers = {**self.session(customer), "HX-Request": "true",
                   "Content-Type": "application/x-www-form-urlencoded"}
        if rng.random() < REPLY_SHARE:
            body = f"body=A+reply+from+the+traffic+benchmark%2C+number+{rng.randrange(10**9)}."
            return Request("reply", True, self.population.replyable.draw(rng), "POST",
                           body, headers)
        with self.lock:
            if customer.voted and rng.random() < 0.5:
                return Request("vote", True, customer.voted.pop(), "POST",
                               "action=retract", headers)
            path = self.population.votable.draw(rng)
            customer.voted.append(path)
        return Request("vote", True, path, "POST", "action=cast", headers)

    @staticmethod
    def session(customer: Customer) -> dict[str, str]:
        return {"Cookie": customer.cookie, "X-CSRFToken": customer.csrf,
                "User-Agent": USER_AGENT}


class Hello:
    """The ceiling's mix: one page."""

    def next(self, _rng: random.Random, _number: int, _connection: int) -> Request:
        return Request("hello", False, "/")


def send(connection: http.client.HTTPConnection, request: Request) -> Sample:
    """One request on a kept-alive connection; a failed one is reset for the next."""
    started = time.perf_counter()
    try:
        connection.request(request.method, request.path, body=request.body,
                           headers=request.headers)
        answer = connection.getresponse()
        answer.read()
        status, cache, error = answer.status, answer.getheader("X-Page-Cache", ""), ""
    except (OSError, http.client.HTTPException) as failure:
        connection.close()
        status, cache, error = 0, "", type(failure).__name__
    return Sample(request.kind, request.signed_in, status, time.perf_counter() - started,
                  cache, error)


def run_load(base: str, mix: Traffic | Hello, concurrency: int, seconds: float,
             seed: int) -> tuple[list[Sample], float]:
    """`concurrency` threads, each sending the mix's requests back to back."""
    host, port = base.removeprefix("http://").split(":")
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        mine, count = [], 0
        while time.monotonic() < deadline:
            count += 1
            mine.append(send(connection, mix.next(rng, count, number)))
        connection.close()
        with lock:
            samples.extend(mine)

    return samples, run_workers(concurrency, worker)


def probe_idle_reuse(base: str, path: str, gaps: list[float]) -> list[dict[str, Any]]:
    """Reuse one connection after each idle gap, as a client with a connection pool does;
    the second request of a pair either gets its answer or is lost."""
    host, port = base.removeprefix("http://").split(":")
    found = []
    for gap in gaps:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        first = send(connection, Request("probe", False, path))
        time.sleep(gap)
        second = send(connection, Request("probe", False, path))
        connection.close()
        found.append({"idle_seconds": gap, "first": first.status, "second": second.status,
                      "error": second.error})
    return found


def summarize(samples: list[Sample], seconds: float) -> dict[str, Any]:
    """Requests/s and latency percentiles; errors are answers other than 200
    (every page and write of the mix answers 200: a redirect means a lost session)."""
    ordered = sorted(s.seconds for s in samples) or [0.0]

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    kept = [s.cache for s in samples if s.cache]
    return {"requests": len(samples), "rps": len(samples) / seconds, "p50_ms": pct(0.5),
            "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": ordered[-1] * 1000,
            "errors": sum(1 for s in samples if s.status != 200),
            "lost": sum(1 for s in samples if s.status == 0),
            "lost_because": sorted({s.error for s in samples if s.error}),
            "cache": {state: kept.count(state) for state in sorted(set(kept))},
            "cache_hit_rate": kept.count("hit") / len(kept) if kept else None}


def breakdown(samples: list[Sample], seconds: float) -> dict[str, Any]:
    """The whole mix, signed in and out, and each kind of page signed in and out."""
    groups: dict[str, list[Sample]] = {"all": samples}
    for sample in samples:
        who = "signed in" if sample.signed_in else "signed out"
        groups.setdefault(who, []).append(sample)
        groups.setdefault(f"{sample.kind}, {who}", []).append(sample)
    return {name: summarize(group, seconds) for name, group in sorted(groups.items())}


def sign_in_customers(base: str, names: list[str]) -> list[Customer]:
    echo(f"  signing in {len(names)} customers")
    return [Customer(name, *sign_in(base, name)) for name in names]


def kind_shares(args: argparse.Namespace) -> dict[str, float]:
    """The mix's kinds of page and their shares, searches added when asked for."""
    return {**KIND_SHARES, "search": args.search_share} if args.search_share else KIND_SHARES


def measure(args: argparse.Namespace, candidate: Candidate, env: dict[str, str],
            population: Population, customers: list[Customer]) -> dict[str, Any]:
    """The hello app, then the app with the mix and the idle-reuse probe beside it."""
    hello_server = candidate.server("hello_app:app", BENCH_DIR, env, "/")
    hello_server.start()
    try:
        run_load(hello_server.base, Hello(), args.concurrency, WARM_UP, args.seed)
        samples, seconds = run_load(hello_server.base, Hello(), args.concurrency,
                                    args.hello_duration, args.seed)
        hello = summarize(samples, seconds)
    finally:
        hello_server.stop()
    if args.page_cache_url:  # every candidate starts with no page kept
        SharedPages(args.page_cache_url, sqlalchemy_url(args.database_url)).clear()
    server = candidate.server("wsgi:app", ROOT, env, "/healthz")
    server.start()
    indexing = search_worker(env) if args.search_share else contextlib.nullcontext()
    with indexing:
        try:
            if not customers:
                customers.extend(sign_in_customers(server.base, population.customers))
            mix = Traffic(population, customers, args.signed_in, args.writes,
                          shares=kind_shares(args))
            run_load(server.base, mix, args.concurrency, args.warm_up, args.seed + 1)
            rss_before = server.rss_mb()
            probes: list[dict[str, Any]] = []
            prober = threading.Thread(target=lambda: probes.extend(
                probe_idle_reuse(server.base, "/", IDLE_GAPS)))
            prober.start()
            samples, seconds = run_load(server.base, mix, args.concurrency, args.duration,
                                        args.seed + 2)
            prober.join()
            rss_after = server.rss_mb()
            focused = {}
            for only in FOCUSED if args.focus_duration > 0 else ():
                alone = Traffic(population, customers, 1.0, 0, only)
                found, spent = run_load(server.base, alone, args.concurrency,
                                        args.focus_duration, args.seed + 3)
                focused[only] = summarize(found, spent)
            peak = server.peak_rss_mb()
            command = server.command()
        finally:
            server.stop()
    # At --log-level warning, gunicorn logs a worker only when it died abnormally.
    crashes = [line for line in server.log.read_text().splitlines()
               if "] Worker (pid:" in line and "[INFO]" not in line]
    result = {"candidate": candidate.spec, "worker_class": candidate.worker_class,
              "workers": candidate.workers, "threads": candidate.threads,
              "keepalive": candidate.keepalive, "command": " ".join(command[1:]),
              "hello": hello, "mix": breakdown(samples, seconds), "focused": focused,
              "worker_crashes": crashes, "probe": probes,
              "writes_per_second": sum(1 for s in samples if s.kind in ("vote", "reply"))
              / seconds,
              "rss_mb": {"before": list(rss_before.values()),
                         "after": list(rss_after.values()), "peak": list(peak.values())}}
    whole = result["mix"]["all"]
    lost = sum(1 for p in probes if p["second"] == 0)
    echo(f"  {candidate.spec:16} hello {hello['rps']:6.0f} req/s | mix {whole['rps']:6.1f} "
         f"req/s p50 {whole['p50_ms']:.0f} p95 {whole['p95_ms']:.0f} p99 "
         f"{whole['p99_ms']:.0f} ms, errors {whole['errors']}, hit rate "
         f"{whole['cache_hit_rate'] or 0:.0%}, idle reuse lost {lost}/{len(probes)}, "
         f"workers crashed {len(crashes)}")
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--duration", type=float, default=15, help="seconds of the mix")
    parser.add_argument("--hello-duration", type=float, default=8)
    parser.add_argument("--warm-up", type=float, default=WARM_UP,
                        help="seconds of the mix before it is measured: longer measures the "
                        "page cache as a running site has it, not as a cold start does")
    parser.add_argument("--focus-duration", type=float, default=8,
                        help="seconds of each kind alone after the mix (0: skip)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections")
    parser.add_argument("--signed-in", type=float, default=0.3,
                        help="share of page views by signed-in customers")
    parser.add_argument("--writes", type=float, default=0.02,
                        help="share of requests that vote or reply")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--ideas", type=int, default=4000, help="distinct idea pages")
    parser.add_argument("--threads", type=int, default=3000, help="distinct thread pages")
    parser.add_argument("--skew", type=float, default=1.0, help="Zipf exponent")
    parser.add_argument("--search-share", type=float, default=0.0,
                        help="share of page views that are searches, beside the others' "
                        "(0: none, as issue 20's runs); with any, `flask search worker` "
                        "runs beside the app and indexes the mix's writes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--candidates", default="sync:2",
                        help="gunicorn setups, comma-separated: "
                        "class:workers[xthreads][@keepalive]")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--label", help="default: <database kind>-<scale>, e.g. sqlite-S")
    parser.add_argument("--page-cache-url", default="",
                        help="Redis the workers share kept pages in (PAGE_CACHE_URL)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = args.database_url
    with create_engine(sqlalchemy_url(url)).connect() as connection:
        label = args.label or f"{dialect_of(url)}-{scale_of(connection)}"
    population = read_population(url, args.ideas, args.threads, args.customers, args.skew)
    echo(f"Traffic on {label}: {population.counts()}")
    started, before = datetime.now(UTC), machine()
    env = app_env(url, PAGE_CACHE_URL=args.page_cache_url)
    customers: list[Customer] = []
    results = [measure(args, Candidate.parse(spec), env, population, customers)
               for spec in args.candidates.split(",")]
    result = {
        "label": label, "started": started.isoformat(timespec="seconds"),
        "database": make_url(sqlalchemy_url(url)).render_as_string(hide_password=True),
        "machine": before, "load_average_after": os.getloadavg(),
        "population": population.counts(),
        "settings": {key: getattr(args, key) for key in (
            "duration", "hello_duration", "warm_up", "focus_duration", "concurrency",
            "signed_in",
            "writes",
            "customers", "skew", "seed", "page_cache_url", "search_share")},
        "kind_shares": kind_shares(args), "idle_gaps": IDLE_GAPS, "candidates": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"traffic-{label}.json"
    path.write_text(json.dumps(result, indent=2))
    report = write_traffic_report(result, args.out / f"traffic-{label}.md")
    echo(f"Wrote {path} and {report}")


if __name__ == "__main__":
    main()
