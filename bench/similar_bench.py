"""The similar-ideas lookup while a customer types a new idea's title (issue 18, item 6).

On a data set generate.py made and indexed: ideas drawn at random (seeded), each title
typed a word at a time from its second word, every draft sent as the propose form does
(`GET /c/<company>/ideas/similar?title=...`, signed out, htmx fragment), one at a time.
Reports p50/p95/p99/max, and how often the idea being retyped (or one with the very same
title) was among those shown once its whole title was typed: it is the duplicate the
lookup is there to find.

Run:  .venv/bin/python bench/similar_bench.py --database-url sqlite:////tmp/cocreate-bench-S.db
      [--ideas 40] [--http]
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from load import Server
from query_set import quantile, query_set_client
from shared import ROOT, app_env, progress_bar, sqlalchemy_url
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_SHOWN_RE = re.compile(r'href="/c/[^/"]+/ideas/(\d+)')
WARM_UP = 5

Draft = tuple[str, str, int, bool]  # company slug, title so far, the idea's id, complete


def drafts(database_url: str, ideas: int, seed: int) -> list[Draft]:
    """Titles of `ideas` visible ideas (not merged into another: the lookup shows the one
    they were merged into), typed a word at a time from the second word."""
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT threads.id, threads.title, companies.slug FROM threads "
            "JOIN companies ON companies.id = threads.company_id "
            "JOIN ideas ON ideas.thread_id = threads.id "
            "WHERE threads.hidden_at IS NULL AND ideas.merged_into_id IS NULL "
            "ORDER BY threads.id")).all()
    engine.dispose()
    typed: list[Draft] = []
    for thread_id, title, slug in random.Random(seed).sample(rows, min(ideas, len(rows))):
        words = title.split()
        for count in range(2, len(words) + 1):
            typed.append((slug, " ".join(words[:count]), thread_id, count == len(words)))
    return typed


def time_drafts(typed: list[Draft], fetch: Callable[[str], tuple[float, str]]) -> None:
    for slug, title, _thread_id, _complete in typed[:WARM_UP]:
        fetch(_path(slug, title))
    samples, found = [], []
    with progress_bar(len(typed), "Drafts") as bar:
        for slug, title, thread_id, complete in typed:
            seconds, page = fetch(_path(slug, title))
            samples.append(seconds)
            if complete:  # it, or an idea of the very same title (the data set has some)
                found.append(str(thread_id) in _SHOWN_RE.findall(page)
                             or f">{html.escape(title)}</a>" in page)
            bar.update(1)
    p50, p95, p99 = (quantile(samples, q) * 1000 for q in (0.5, 0.95, 0.99))
    print(f"similar ideas while typing: {len(samples)} drafts of {len(found)} titles, "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
          f"max {max(samples) * 1000:.0f} ms")
    print(f"the idea retyped in full, or one of the same title, was shown for {sum(found)} "
          f"of {len(found)}")


def _path(slug: str, title: str) -> str:
    return f"/c/{slug}/ideas/similar?" + urllib.parse.urlencode({"title": title})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="a data set generate.py made and indexed")
    parser.add_argument("--ideas", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--http", action="store_true",
                        help="through gunicorn (2 sync workers), not in process")
    args = parser.parse_args()
    typed = drafts(args.database_url, args.ideas, args.seed)
    if not args.http:
        client = query_set_client(args.database_url)

        def in_process(path: str) -> tuple[float, str]:
            started = time.perf_counter()
            response = client.get(path, headers={"HX-Request": "true"})
            seconds = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            return seconds, response.get_data(as_text=True)

        time_drafts(typed, in_process)
        return
    server = Server("wsgi:app", ROOT, app_env(args.database_url), health="/healthz",
                    workers=2)
    server.start()
    try:
        def over_http(path: str) -> tuple[float, str]:
            request = urllib.request.Request(server.base + path,  # noqa: S310 (ours)
                                             headers={"HX-Request": "true"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (ours)
                page = answer.read().decode()
            return time.perf_counter() - started, page

        time_drafts(typed, over_http)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
