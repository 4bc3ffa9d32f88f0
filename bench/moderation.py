"""Moderation at scale (issue 17, item 9): the review queues with 10,000 open flags, and
a burst of 1,000 flags on one post from 1,000 accounts.

Issue 17 asks that the review queue of the biggest company runs a fixed number of SQL
statements with 10,000 open flags, and that a burst of 1,000 flags on one post from 1,000
accounts hides it once and makes one review item.

    .venv/bin/python bench/generate.py --scale S --no-index --reset \\
        --database-url sqlite:////tmp/cocreate-bench-S.db
    .venv/bin/python bench/moderation.py --database-url sqlite:////tmp/cocreate-bench-S.db

Setup (not measured): 10,000 visible posts of the company with the most posts each get
one open flag and an open review item, written in bulk as flag_post would leave them (one
in ten escalated); a site admin `benchadmin` is added if missing. Measured: the company's
queue (signed in as one of its moderators) and /admin/moderation (as the site admin),
pages 1 and 5, through Flask's test client in this process (no HTTP server). Then the
burst, through the service: 1,000 accounts with flags that count (old enough, with a
visible post) flag one fresh reply from --threads threads; each flag is made as if its
request had read the post before the hide committed (the worst race), so every flag counts
and the hide's own condition is what keeps it to one. This changes the data set; generate
it again for a clean one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ideas
from bench.inbox import time_view
from bench.shared import BENCH_PASSWORD, sqlalchemy_url
from forum import create_app
from forum.accounts.models import User
from forum.companies.models import Company, Membership, Role
from forum.config import TestConfig
from forum.database import utcnow
from forum.events.models import Event
from forum.extensions import db
from forum.moderation import flags as flagging
from forum.moderation.models import Flag, ModerationAction, Review
from forum.moderation.queries import QUEUE_SIZE, platform_queue
from forum.threads.models import Post, Thread

ADMIN = "benchadmin"
CHUNK = 2_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a generated data set")
    parser.add_argument("--flags", type=int, default=10_000, help="open items to queue")
    parser.add_argument("--burst", type=int, default=1_000, help="accounts in the burst")
    parser.add_argument("--threads", type=int, default=4, help="threads of the burst")
    parser.add_argument("--requests", type=int, default=30, help="samples per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        config = TestConfig(sqlalchemy_url(args.database_url))
        config.SEARCH_INDEX_DIR = f"{scratch}/search"
        config.RATELIMIT_ENABLED = False
        config.WTF_CSRF_ENABLED = False  # the test client keeps no CSRF session here
        config.FLAGS_PER_HOUR = 10**9
        app = create_app(config, plugins=[ideas.init_app])
        with app.app_context():
            company, moderator = _biggest_company()
            company_id, slug, moderator_name = company.id, company.slug, moderator.username
            queued = _queue_flags(company, args.flags)
            total = db.session.scalar(select(func.count()).select_from(Review).where(
                Review.company_id == company.id, Review.closed_at.is_(None)))
            print(f"\n{args.database_url}: {company.name}, {total:,} open items "
                  f"({queued:,} added now)")
            admin_name, after = _site_admin().username, _fifth_page_marker()
            engine = db.engine
        # Requests outside any app context of ours, so that each pushes its own (and
        # signs its person in afresh), as under a server.
        moderating = _signed_in(app, moderator_name)
        time_view(moderating, f"/c/{slug}/manage/moderation", "company queue",
                  args.requests, engine)
        admin = _signed_in(app, admin_name)
        time_view(admin, "/admin/moderation", "admin queue, page 1", args.requests, engine)
        time_view(admin, f"/admin/moderation?after={after}", "admin queue, page 5",
                  args.requests, engine)
        with app.app_context():
            _burst(app, db.session.get(Company, company_id), args.burst, args.threads)
            db.session.remove()
            db.engine.dispose()


def _biggest_company() -> tuple[Company, User]:
    company_id = db.session.scalar(
        select(Thread.company_id).group_by(Thread.company_id)
        .order_by(func.sum(Thread.post_count).desc()).limit(1))
    company = db.session.get(Company, company_id)
    moderator = db.session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == company_id,
               Membership.role.in_([Role.MODERATOR.value, Role.OWNER.value]))
        .order_by(Membership.role).limit(1))
    assert company is not None and moderator is not None
    return company, moderator


def _queue_flags(company: Company, wanted: int) -> int:
    """Open items on visible posts with none yet, in bulk, as flag_post leaves them."""
    have = db.session.scalar(select(func.count()).select_from(Review).where(
        Review.company_id == company.id, Review.closed_at.is_(None))) or 0
    missing = max(0, wanted - have)
    if not missing:
        return 0
    flaggers = list(db.session.scalars(select(User.id).order_by(User.id).limit(50)))
    posts = db.session.execute(
        select(Post.id, Post.author_id).join(Thread, Thread.id == Post.thread_id)
        .outerjoin(Review, Review.post_id == Post.id)
        .where(Thread.company_id == company.id, Post.hidden_at.is_(None),
               Thread.hidden_at.is_(None), Review.id.is_(None))
        .order_by(Post.id).limit(missing)).all()
    now = utcnow()
    flag_rows, review_rows = [], []
    for number, (post_id, author_id) in enumerate(posts):
        flagger = next(f for f in flaggers[number % 40:] + flaggers if f != author_id)
        opened = now - timedelta(minutes=len(posts) - number)
        flag_rows.append({"post_id": post_id, "user_id": flagger, "company_id": company.id,
                          "reason": "spam", "note": "", "trusted": False,
                          "created_at": opened})
        review_rows.append({"company_id": company.id, "post_id": post_id, "open_flags": 1,
                            "trusted_flags": 0, "opened_at": opened, "outcome": "",
                            "escalation_note": "",
                            "escalated_at": opened if number % 10 == 0 else None})
    for start in range(0, len(posts), CHUNK):
        db.session.execute(insert(Flag), flag_rows[start:start + CHUNK])
        db.session.execute(insert(Review), review_rows[start:start + CHUNK])
    db.session.commit()
    return len(posts)


def _site_admin() -> User:
    admin = db.session.scalar(select(User).where(User.username == ADMIN))
    if admin is None:
        admin = User(username=ADMIN, email=f"{ADMIN}@example.com", is_site_admin=True,
                     email_confirmed_at=utcnow(), display_name="",
                     password_hash=generate_password_hash(BENCH_PASSWORD))
        db.session.add(admin)
        db.session.commit()
    return admin


def _fifth_page_marker() -> int:
    """The review after which /admin/moderation's fifth page starts (its order)."""
    after = None
    for _ in range(4):
        after = platform_queue(after, QUEUE_SIZE).next_after
    db.session.rollback()
    return int(after or 0)


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    answer = client.post("/signin", data={"login": username, "password": BENCH_PASSWORD})
    assert answer.status_code == 302, (username, answer.status_code)
    return client


def _burst(app: Flask, company: Company, accounts: int, threads: int) -> None:
    """`accounts` flags with weight on one fresh reply, as racing requests would make."""
    post_id, author_id = db.session.execute(
        select(Post.id, Post.author_id).join(Thread, Thread.id == Post.thread_id)
        .outerjoin(Review, Review.post_id == Post.id)
        .where(Thread.company_id == company.id, Post.number > 1, Post.hidden_at.is_(None),
               Thread.hidden_at.is_(None), Review.id.is_(None))
        .order_by(Post.id.desc()).limit(1)).one()
    days = app.config["FLAG_TRUSTED_ACCOUNT_DAYS"]
    visible = select(Post.author_id).where(Post.hidden_at.is_(None)).distinct()
    flaggers = list(db.session.scalars(
        select(User.id).where(User.id.in_(visible), User.id != author_id,
                              User.suspended_until.is_(None),
                              User.created_at < utcnow() - timedelta(days=days))
        .order_by(User.id).limit(accounts)))
    assert len(flaggers) == accounts, f"only {len(flaggers)} accounts can flag with weight"
    db.session.execute(update(Flag).where(Flag.user_id.in_(flaggers))
                       .values(created_at=utcnow() - timedelta(days=1)))  # the hourly cap
    db.session.commit()
    before = db.session.scalar(select(func.max(Event.id))) or 0
    timings: list[float] = []
    errors: list[Exception] = []
    start = threading.Barrier(threads)

    def run(chunk: list[int]) -> None:
        with app.app_context():
            post = db.session.get(Post, post_id)
            people = db.session.scalars(select(User).where(User.id.in_(chunk))).all()
            start.wait()
            for person in people:
                set_committed_value(post, "hidden_at", None)  # read before the hide
                begin = time.perf_counter()
                try:
                    flagging.flag_post(person, post, "spam")
                except Exception as error:  # a refusal or a bug: both reported below
                    errors.append(error)
                timings.append(time.perf_counter() - begin)
            db.session.remove()

    workers = [threading.Thread(target=run, args=(flaggers[n::threads],))
               for n in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    db.session.rollback()  # end the read that began before the threads wrote
    reviews = db.session.scalar(select(func.count()).select_from(Review)
                                .where(Review.post_id == post_id))
    review = db.session.scalar(select(Review).where(Review.post_id == post_id))
    hides = db.session.scalar(select(func.count()).select_from(ModerationAction).where(
        ModerationAction.post_id == post_id, ModerationAction.action == "hide"))
    hidden_events = db.session.scalar(select(func.count()).select_from(Event).where(
        Event.id > before, Event.type == "post.hidden", Event.subject_id == post_id))
    timings.sort()
    print(f"  burst: {accounts:,} accounts, {threads} threads, {seconds:.1f} s "
          f"({accounts / seconds:,.0f} flags/s), per flag p50 "
          f"{statistics.median(timings) * 1000:.1f} ms p95 "
          f"{timings[int(len(timings) * 0.95) - 1] * 1000:.1f} ms, {len(errors)} refused")
    print(f"  then: {reviews} review item ({review.open_flags:,} flags counted, "
          f"{review.trusted_flags:,} with weight), hidden {hides} time(s) "
          f"({hidden_events} post.hidden event(s)), post hidden: "
          f"{db.session.get(Post, post_id).hidden_at is not None}")
    for error in errors[:3]:
        print(f"    refused: {error!r}")


if __name__ == "__main__":
    main()
