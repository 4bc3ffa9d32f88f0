"""Requests/s and latency of Cocreate's hot paths under gunicorn, against a bare Flask ceiling.

    .venv/bin/python bench/pages.py --database-url URL [--duration 20] [--concurrency 1,8]
                                    [--out bench/out] [--label postgresql-S]

Serves the app (bench/generate.py's data) and bench/hello_app.py with the same gunicorn
command (2 sync workers), loads each path with wrk in a separate process, one path at a
time at each concurrency, and writes results-<label>.json and report.md into --out.
Votes are toggled and replies posted as `benchuser`: the database changes a little.
"""

# ruff: noqa: S608 (SQL is built from this file's own constants, never from input)
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import platform
import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import load
from load import Measurement, Server, Target, echo
from report import write_report
from shared import (
    BENCH_DIR,
    BENCH_PASSWORD,
    BENCH_USERNAME,
    DEFAULT_OUT,
    ROOT,
    app_env,
    dialect_of,
    sqlalchemy_url,
    workdir,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

SEARCH_ONE = "export"  # the most frequent feature word in the generated text
SEARCH_TWO = "export invoices"
USER_AGENT = "cocreate-bench"  # the same for sign-in and wrk: the session stays "fresh"
SCALE_IDEAS = {"S": 20_000, "M": 100_000, "L": 200_000}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--duration", type=float, default=20, help="seconds per measurement")
    parser.add_argument("--concurrency", default="1,8", help="connections, comma-separated")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--label", help="default: <database kind>-<scale>, e.g. postgresql-S")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="per worker, with gthread")
    parser.add_argument("--only", help="measure only paths whose names contain one of these "
                        "comma-separated words (e.g. board,vote)")
    parser.add_argument("--client", choices=["wrk", "python"], default=load.load_generator())
    parser.add_argument("--no-page-cache", action="store_true",
                        help="render every page (PAGE_CACHE_SECONDS=0), to measure templates")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    return args


def dataset_info(url: str) -> dict[str, Any]:
    path = workdir(url) / "dataset.json"
    return json.loads(path.read_text()) if path.exists() else {}


def scale_of(connection: Connection) -> str:
    ideas = connection.scalar(text("SELECT count(*) FROM ideas")) or 1
    return min(SCALE_IDEAS, key=lambda s: abs(SCALE_IDEAS[s] - ideas) / SCALE_IDEAS[s])


def discover(connection: Connection) -> dict[str, Any]:
    """The pages worth measuring: the biggest company, its longest idea and thread, and so on."""
    company_id, slug = connection.execute(text(
        "SELECT c.id, c.slug FROM ideas i JOIN companies c ON c.id = i.company_id "
        "GROUP BY c.id, c.slug ORDER BY count(*) DESC LIMIT 1")).one()
    visible = "t.company_id = :c AND t.hidden_at IS NULL"
    idea = connection.execute(text(
        "SELECT t.id, t.slug, t.reply_count FROM threads t JOIN ideas i ON i.thread_id = t.id "
        f"WHERE {visible} AND i.merged_into_id IS NULL ORDER BY t.reply_count DESC LIMIT 1"),
        {"c": company_id}).one()
    thread = connection.execute(text(
        f"SELECT t.id, t.slug, t.reply_count FROM threads t WHERE {visible} "
        "AND t.kind != 'idea' ORDER BY t.reply_count DESC LIMIT 1"), {"c": company_id}).one()
    reply_to = connection.scalar(text(
        f"SELECT t.id FROM threads t WHERE {visible} AND t.kind = 'discussion' "
        "AND t.state = 'open' AND t.id != :t ORDER BY t.id DESC LIMIT 1"),
        {"c": company_id, "t": thread.id})
    votable = list(connection.scalars(text(
        "SELECT t.id FROM ideas i JOIN threads t ON t.id = i.thread_id "
        f"WHERE {visible} AND i.merged_into_id IS NULL "
        "AND i.status_category IN ('open', 'active') "
        "ORDER BY t.id LIMIT 200"), {"c": company_id}))
    profile = connection.scalar(text(
        "SELECT u.username FROM users u JOIN (SELECT author_id, count(*) AS n FROM posts "
        "GROUP BY author_id ORDER BY n DESC LIMIT 1) top ON top.author_id = u.id"))
    return {"slug": slug, "idea": idea._asdict(), "thread": thread._asdict(),
            "reply_to": reply_to, "votable": votable, "profile": profile}


def targets(found: dict[str, Any], search: bool, cookie: str, csrf: str) -> list[Target]:
    c = f"/c/{found['slug']}"
    idea, thread = found["idea"], found["thread"]
    signed_in = {"Cookie": cookie, "X-CSRFToken": csrf, "HX-Request": "true",
                 "User-Agent": USER_AGENT}
    pages = [
        Target("home /", ["/"]),
        Target("trending /ideas", ["/ideas"]),
        Target("board (trending)", [f"{c}/ideas"]),
        Target("board ?sort=top", [f"{c}/ideas?sort=top"]),
        Target("board ?status=planned", [f"{c}/ideas?status=planned"]),
        Target(f"idea page ({idea['reply_count']} replies)",
               [f"{c}/ideas/{idea['id']}-{idea['slug']}"]),
        Target(f"thread page ({thread['reply_count']} replies)",
               [f"{c}/t/{thread['id']}-{thread['slug']}"]),
        Target("forum", [f"{c}/forum"]),
        Target("profile /u/<most active>", [f"/u/{found['profile']}"]),
        Target("roadmap", [f"{c}/roadmap"]),
    ]
    if search:
        for query in (SEARCH_ONE, SEARCH_TWO):
            words = len(query.split())
            pages.append(Target(f"search ({words} term{'s' if words > 1 else ''})",
                                ["/search?" + urllib.parse.urlencode({"q": query})],
                                group="search"))
    pages.append(Target("vote + unvote (signed in)",
                        [f"{c}/ideas/{tid}/vote" for tid in found["votable"]], "POST",
                        "signed-in", ["action=cast", "action=retract"], signed_in))
    pages.append(Target("reply (signed in)", [f"{c}/t/{found['reply_to']}/reply"], "POST",
                        "signed-in", ["body=Benchmark+reply+number+%d%%2C+measured."],
                        signed_in))
    return pages


def sign_in(base: str, username: str = BENCH_USERNAME) -> tuple[str, str]:
    """Sign in (as benchuser) like a browser; returns the session cookie and a CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]

    def token(path: str) -> str:
        with opener.open(base + path, timeout=30) as page:
            html = page.read().decode()
        # The sign-in form's field when signed out, the page's meta tag when signed in.
        found = re.search(r'name="csrf[-_]token"[^>]*?(?:content|value)="([^"]+)"', html)
        return found.group(1)  # type: ignore[union-attr]

    form = urllib.parse.urlencode({"login": username, "password": BENCH_PASSWORD,
                                   "csrf_token": token("/signin")}).encode()
    with opener.open(base + "/signin", data=form, timeout=30) as answer:
        if username not in answer.read().decode():
            raise RuntimeError(f"signing in as {username} failed")
    csrf = token("/")
    session = next(c for c in jar if c.name == "session")
    return f"session={session.value}", csrf


def check(base: str, target: Target) -> None:
    """One request first, redirects not followed: a benchmark of error pages is worthless."""
    host, port = base.removeprefix("http://").split(":")
    body = target.bodies[0].replace("%d", "0") if target.bodies else None
    headers = dict(target.headers)
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    # A long timeout: requests a previous run left queued are still being served.
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.request(target.method, target.paths[0], body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    if status != 200:
        raise RuntimeError(f"{target.name}: {target.method} {target.paths[0]} answered {status}")


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "load_average": os.getloadavg()}


def ceiling(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The bare Flask app under the same gunicorn command: requests/s no page can beat."""
    server = Server("hello_app:app", BENCH_DIR, env, worker_class=args.worker_class,
                    threads=args.threads if args.worker_class == "gthread" else 1)
    server.start()
    try:
        target = Target("hello (ceiling)", ["/"], group="ceiling")
        load.measure(server.base, target, 2, 2, args.client)  # warm-up
        found = {str(c): load.measure(server.base, target, c, args.duration, args.client)
                 .as_dict() for c in args.concurrency}
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    for c, m in found.items():
        echo(f"  hello c={c}: {m['rps']:.0f} req/s, p50 {m['p50_ms']:.1f} ms")
    return {"results": found, "worker_peak_rss_mb": rss}


def measure_app(args: argparse.Namespace, env: dict[str, str], found: dict[str, Any],
                search: bool) -> tuple[list[dict[str, Any]], dict[int, float], list[str]]:
    server = Server("wsgi:app", ROOT, env, health="/healthz", worker_class=args.worker_class,
                    threads=args.threads if args.worker_class == "gthread" else 1)
    server.start()
    measured: list[dict[str, Any]] = []
    try:
        cookie, csrf = sign_in(server.base)
        wanted = args.only.split(",") if args.only else [""]
        chosen = [t for t in targets(found, search, cookie, csrf)
                  if any(word in t.name for word in wanted)]
        for target in chosen:
            check(server.base, target)
            load.measure(server.base, target, 2, 2, args.client)  # warm-up, not recorded
            results: dict[str, Measurement] = {}
            for c in args.concurrency:
                results[str(c)] = load.measure(server.base, target, c, args.duration,
                                                args.client)
                m = results[str(c)]
                echo(f"  {target.name:34} c={c}: {m.rps:7.1f} req/s  p50 {m.p50_ms:7.1f}  "
                     f"p95 {m.p95_ms:7.1f}  p99 {m.p99_ms:7.1f} ms  errors {m.errors}")
            measured.append({"name": target.name, "path": target.paths[0],
                             "method": target.method, "group": target.group,
                             "results": {c: m.as_dict() for c, m in results.items()}})
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    return measured, rss, server.command()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = args.database_url
    with create_engine(sqlalchemy_url(url)).connect() as connection:
        found, scale = discover(connection), scale_of(connection)
    info = dataset_info(url)
    index = info.get("search_index")
    search = bool(index) and Path(index).is_dir()
    series = dialect_of(url) + ("-uncached" if args.no_page_cache else "")
    label = args.label or f"{series}-{scale}"
    env = app_env(url)
    if args.no_page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    notes = [] if search else ["No search index for this database (generate.py builds one "
                               "unless run with --no-index): search not measured."]
    started = datetime.now(UTC)
    before = machine()
    echo(f"Measuring {label} with {args.client}, {args.duration:g}s per measurement")
    first = ceiling(args, env)
    paths, rss, command = measure_app(args, env, found, search)
    last = ceiling(args, env)  # again at the end: the machine is shared, figures drift
    best = {c: max(first["results"][c], last["results"][c], key=lambda m: m["rps"])
            for c in first["results"]}
    result = {
        "label": label, "dialect": dialect_of(url), "series": series, "scale": scale,
        "database": make_url(sqlalchemy_url(url)).render_as_string(hide_password=True),
        "dataset": info, "started": started.isoformat(timespec="seconds"),
        "machine": before, "load_average_after": os.getloadavg(),
        "server": {"command": " ".join(command[1:]), "workers": 2,
                   "worker_class": args.worker_class,
                   "page_cache": not args.no_page_cache},
        "client": f"{args.client} (1 thread, N connections), {args.duration:g}s each",
        "targets": found,
        "hello": {"results": best, "runs": [first, last]},
        "paths": paths, "worker_peak_rss_mb": rss, "notes": notes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"results-{label}.json").write_text(json.dumps(result, indent=2))
    report = write_report(args.out)
    echo(f"Wrote {args.out / f'results-{label}.json'} and {report}")


if __name__ == "__main__":
    main()
