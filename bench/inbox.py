"""The product team's inbox on a generated data set: statements and latency per view, and
one bulk status change over the ideas with the most voters.

Issue 16 asks that the inbox of the biggest company runs a fixed number of SQL statements
whatever the number of ideas, that its p50 at scale L stays within 1.3 times its p50 at
S, and that a bulk status change of 100 ideas with 50,000 voters between them returns in
one request, the voters' notifications written afterwards by the notifier.

    .venv/bin/python bench/generate.py --scale S --no-index --reset \\
        --database-url sqlite:////tmp/cocreate-bench-S.db        # and the same with L
    .venv/bin/python bench/inbox.py --database-url sqlite:////tmp/cocreate-bench-S.db \\
        --database-url sqlite:////tmp/cocreate-bench-L.db --bulk

Requests go through the app in this process (Flask's test client, signed in as a team
member of the company with the most ideas): no HTTP server, so the figures are the app's
own. --bulk changes the data set (100 ideas become "planned"); generate it again for a
clean one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ideas
from bench.fanout import counting
from bench.shared import BENCH_PASSWORD, sqlalchemy_url
from forum import create_app
from forum.accounts.models import User
from forum.companies.models import Company, Membership, Role
from forum.config import TestConfig
from forum.extensions import db
from forum.notifications.runtime import get_notifier_runtime
from forum.threads.models import Thread
from ideas.models import Idea

VIEWS = {
    "default (new first)": "",
    "by priority": "?view=priority",
    "by votes": "?view=votes",
    "priority, page 20": "?view=priority&page=20",
    "segment filter + priority": "?view=priority&segment=1",
    "title search": "?q=the",
}
BULK_IDEAS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", action="append", required=True,
                        help="a generated data set; give it twice (S, then L) to compare")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--bulk", action="store_true",
                        help="also time one bulk status change (changes the data set)")
    args = parser.parse_args()
    results = {}
    for url in args.database_url:
        results[url] = measure(sqlalchemy_url(url), args.requests, args.bulk)
    if len(results) > 1:
        first, *others = results
        print("\np50 ratio against the first data set:")
        for other in others:
            for name in VIEWS:
                ratio = results[other][name] / results[first][name]
                print(f"  {name:<28} {ratio:5.2f}")


def measure(url: str, requests: int, bulk: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        config = TestConfig(url)
        config.SEARCH_INDEX_DIR = f"{scratch}/search"
        config.RATELIMIT_ENABLED = False
        config.WTF_CSRF_ENABLED = False  # the test client keeps no CSRF session here
        app = create_app(config, plugins=[ideas.init_app])
        with app.app_context():
            company, member = _biggest_company()
            count = db.session.scalar(select(func.count()).select_from(Idea)
                                      .where(Idea.company_id == company.id))
            print(f"\n{url.split('://')[0]} {url.rsplit('/', 1)[-1]}: {company.name} "
                  f"({count:,} ideas), signed in as {member.username} (team)")
            client = app.test_client()
            answer = client.post("/signin", data={"login": member.username,
                                                  "password": BENCH_PASSWORD})
            assert answer.status_code == 302, answer.status_code
            medians = {name: time_view(client, f"/c/{company.slug}/manage/ideas{query}",
                                       name, requests) for name, query in VIEWS.items()}
            if bulk:
                _bulk(app, client, company)
            db.session.remove()
            db.engine.dispose()
    return medians


def _biggest_company() -> tuple[Company, User]:
    company_id = db.session.scalar(select(Idea.company_id).group_by(Idea.company_id)
                                   .order_by(func.count().desc()).limit(1))
    company = db.session.get(Company, company_id)
    member = db.session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == company_id,
               Membership.role.in_([Role.TEAM.value, Role.OWNER.value])).limit(1))
    assert company is not None and member is not None
    return company, member


def time_view(client: FlaskClient, url: str, name: str, requests: int,
          engine: Engine | None = None) -> float:
    """p50 and p95 of `requests` GETs of `url`, and the statements each ran (on `engine`,
    or the app's in the current app context)."""
    for _ in range(3):  # warm the caches a real server would have warm
        client.get(url)
    samples, counts = [], set()
    for _ in range(requests):
        with counting(engine) as statements:
            begin = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - begin)
        assert response.status_code == 200, (url, response.status_code)
        counts.add(len(statements))
    samples.sort()
    p50 = statistics.median(samples)
    print(f"  {name:<28} p50 {p50 * 1000:7.1f} ms  p95 "
          f"{samples[int(len(samples) * 0.95) - 1] * 1000:7.1f} ms  "
          f"statements {'/'.join(str(c) for c in sorted(counts))}")
    return p50


def _bulk(app: Flask, client: FlaskClient, company: Company) -> None:
    """Plan the 100 open ideas with the most votes (at L, more than 50,000 voters)."""
    chosen, voters = [], 0
    for thread_id, votes in db.session.execute(
            select(Idea.thread_id, Idea.vote_count).join(Thread, Thread.id == Idea.thread_id)
            .where(Idea.company_id == company.id, Idea.status == "open",
                   Idea.merged_into_id.is_(None), Thread.hidden_at.is_(None))
            .order_by(Idea.vote_count.desc()).limit(BULK_IDEAS)):
        chosen.append(thread_id)
        voters += votes
    form = {"action": "status", "status": "planned", "note": "Planned for the next release.",
            "ideas": [str(t) for t in chosen]}
    with counting() as statements:
        begin = time.perf_counter()
        response = client.post(f"/c/{company.slug}/manage/ideas/bulk", data=form)
        seconds = time.perf_counter() - begin
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    print(f"  bulk status change of {len(chosen)} ideas with {voters:,} votes: "
          f"{seconds * 1000:.0f} ms, {len(statements)} statements, in one request")
    notifier = get_notifier_runtime(app).notifier()
    begin = time.perf_counter()
    written = notifier.run_until_idle()
    seconds = time.perf_counter() - begin
    print(f"  then the notifier: {written:,} notifications in {seconds:.1f} s "
          f"({written / max(seconds, 1e-9):,.0f}/s), outside the request")


if __name__ == "__main__":
    main()
