"""What a signed-in customer's idea and thread pages cost to render, in process.

    .venv/bin/python bench/generate.py --scale S --reset --no-index \
        --database-url sqlite:////tmp/cocreate-bench-S.db
    .venv/bin/python bench/render_profile.py --database-url sqlite:////tmp/cocreate-bench-S.db \
        [--pages 300] [--customers 5] [--digests FILE] [--baseline COMMIT]

Signs customers in through the real form, then asks a test client for `--pages` idea
pages and as many thread pages, spread over the most discussed ids (every page is
rendered: the page cache keeps only signed-out pages). Each kind is measured twice over
the same URLs: once for wall time (ms/page, after one warm-up pass that also fills the
post fragment store), once under cProfile (Python function calls/page). With
`POST_FRAGMENT_CHARS=0` in the environment the fragment store is off; `--digests` writes
a digest of every page (CSRF tokens blanked) so two runs can be compared byte for byte.
`--baseline COMMIT` measures that commit's code first (extracted with `git archive`, run
by this script with it first on the path), then this tree's with the store on and off,
and says how many pages differ from the baseline's (a page whose "5 minutes ago" ticked
over between the runs differs too: look at it by hand).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from generate import make_app
from shared import BENCH_PASSWORD, NO_POSTING_LIMITS, ROOT
from sqlalchemy import text

from forum.extensions import db
from forum.threads.urls import thread_path

TOKEN = re.compile(rb'(name="csrf[-_]token"[^>]*? (?:content|value)=")[^"]*')
VISIBLE_THREADS = ("SELECT t.id, t.slug, t.kind, c.slug AS company FROM threads t "
                   "JOIN companies c ON c.id = t.company_id {join} WHERE t.hidden_at IS NULL "
                   "{where} ORDER BY t.reply_count DESC, t.id LIMIT :n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/cocreate-bench-S.db")
    parser.add_argument("--pages", type=int, default=300, help="distinct pages per kind")
    parser.add_argument("--customers", type=int, default=5)
    parser.add_argument("--digests", type=Path, help="write each page's digest here (JSON)")
    parser.add_argument("--baseline", help="a commit to measure first, and compare pages with")
    return parser.parse_args()


def read_urls(app: Flask, pages: int) -> dict[str, list[str]]:
    with app.app_context(), db.engine.connect() as connection:
        ideas = connection.execute(text(VISIBLE_THREADS.format(
            join="JOIN ideas i ON i.thread_id = t.id", where="AND i.merged_into_id IS NULL")),
            {"n": pages}).all()
        threads = connection.execute(text(VISIBLE_THREADS.format(
            join="", where="AND t.kind != 'idea'")), {"n": pages}).all()
        return {kind: [thread_path(row.company, row.id, row.slug, row.kind) for row in rows]
                for kind, rows in (("idea", ideas), ("thread", threads))}


def customers(app: Flask, count: int) -> list[FlaskClient]:
    """Clients signed in as customers: staff of no company, not suspended."""
    with app.app_context(), db.engine.connect() as connection:
        names = list(connection.scalars(text(
            "SELECT u.username FROM users u WHERE NOT u.is_site_admin "
            "AND u.suspended_until IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM memberships m WHERE m.user_id = u.id) ORDER BY u.id LIMIT :n"),
            {"n": count}))
    clients = []
    for name in names:
        client = app.test_client()
        form = client.get("/signin").data
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', form) or \
            re.search(rb'name="csrf_token" value="([^"]+)"', form)
        assert token, "no CSRF token on the sign-in form"
        answer = client.post("/signin", data={"login": name, "password": BENCH_PASSWORD,
                                              "csrf_token": token.group(1).decode()})
        assert answer.status_code == 302, f"{name} could not sign in: {answer.status_code}"
        client.get("/home")  # shows, and so clears, the "Signed in" message
        clients.append(client)
    return clients


def render_all(clients: list[FlaskClient], urls: list[str]) -> list[bytes]:
    bodies = []
    for number, url in enumerate(urls):
        response = clients[number % len(clients)].get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        bodies.append(response.data)
    return bodies


def measure(clients: list[FlaskClient], urls: list[str]) -> dict[str, float]:
    render_all(clients, urls)  # warm: templates compiled, fragments kept, rows cached
    started = time.perf_counter()
    render_all(clients, urls)
    elapsed = time.perf_counter() - started
    profile = cProfile.Profile()
    profile.enable()
    render_all(clients, urls)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {"ms_per_page": 1000 * elapsed / len(urls), "calls_per_page": calls / len(urls)}


def compare(args: argparse.Namespace) -> None:
    """The baseline's code, then this tree's with kept posts and without, one after the
    other on the same database; then how many pages differ from the baseline's."""
    with tempfile.TemporaryDirectory() as scratch:
        tree, digests = Path(scratch) / "tree", Path(scratch) / "digests"
        tree.mkdir()
        digests.mkdir()
        archive = subprocess.run(  # noqa: S603 (our own command line)
            ["git", "-C", str(ROOT), "archive", args.baseline],  # noqa: S607 (git on PATH)
            check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)],  # noqa: S603, S607 (tar on PATH)
                       input=archive, check=True)
        runs = {f"baseline {args.baseline}": (tree, {}), "this tree": (ROOT, {}),
                "this tree, store off": (ROOT, {"POST_FRAGMENT_CHARS": "0"})}
        for number, (label, (source, env)) in enumerate(runs.items()):
            print(f"{label}:", flush=True)
            subprocess.run(  # noqa: S603 (our own command line)
                [sys.executable, __file__, "--database-url", args.database_url,
                 "--pages", str(args.pages), "--customers", str(args.customers),
                 "--digests", str(digests / f"{number}.json")],
                check=True, env={**os.environ, **env, "PYTHONPATH": str(source)})
        found = [json.loads((digests / f"{n}.json").read_text()) for n in range(len(runs))]
    for label, pages in zip(list(runs)[1:], found[1:], strict=True):
        differ = [path for path in found[0] if pages.get(path) != found[0][path]]
        print(f"{label}: {len(differ)} of {len(found[0])} pages differ from the baseline's"
              + (f" ({', '.join(differ[:5])})" if differ else ""))


def main() -> None:
    args = parse_args()
    if args.baseline:
        return compare(args)
    for name, value in {**NO_POSTING_LIMITS, "RATELIMIT_ENABLED": "0",
                        "PAGE_CACHE_SECONDS": "0"}.items():
        os.environ.setdefault(name, value)
    app = make_app(args.database_url)
    urls = read_urls(app, args.pages)
    clients = customers(app, args.customers)
    store = app.config.get("POST_FRAGMENT_CHARS", "absent")
    print(f"{args.database_url}: {args.pages} pages per kind, {len(clients)} customers, "
          f"POST_FRAGMENT_CHARS={store}")
    digests: dict[str, str] = {}
    for kind, paths in urls.items():
        figures = measure(clients, paths)
        print(f"  {kind:6} {figures['ms_per_page']:6.2f} ms/page "
              f"{figures['calls_per_page']:9,.0f} calls/page ({len(paths)} pages)")
        if args.digests:
            # One customer per URL, so a page's digest does not depend on the client count.
            for path, body in zip(paths, render_all(clients[:1], paths), strict=True):
                digests[path] = hashlib.sha256(TOKEN.sub(rb"\1", body)).hexdigest()
    if args.digests:
        args.digests.write_text(json.dumps(digests, indent=0, sort_keys=True))
        print(f"  digests of {len(digests)} pages in {args.digests}")


if __name__ == "__main__":
    sys.exit(main())
