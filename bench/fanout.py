"""Notification fan-out: a status change on an idea with thousands of voters.

Measures what issue 15 asks: the request that changes the status stays small (it records
one event; nobody is notified inside it), and the notifier then writes one notification
and one queued mail per voter, in batches, at some rate (notifications per second). Then
the sender renders and sends the first change's mails to an SMTP server on loopback
(mails per second). Also the bell's cost: the unread count every signed-in page runs.

    .venv/bin/python bench/fanout.py                      # SQLite, in a temporary file
    .venv/bin/python bench/fanout.py --database-url postgresql://postgres@127.0.0.1/bench --reset

--reset empties the PostgreSQL database first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import Engine, create_engine, event, func, insert, select, text
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ideas
from bench.shared import sqlalchemy_url
from forum import create_app
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies import services as companies
from forum.config import TestConfig
from forum.database import utcnow
from forum.extensions import db
from forum.mail.models import OutgoingMail
from forum.mail.runtime import get_mail_runtime
from forum.notifications import services as notifications
from forum.notifications.models import Notification
from forum.notifications.runtime import get_notifier_runtime
from ideas import services as idea_services
from ideas.models import Idea, Vote

STATUSES = ["under_review", "planned", "in_progress", "shipped"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--voters", type=int, default=5_000)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = sqlalchemy_url(args.database_url) or f"sqlite:///{scratch}/fanout.db"
        if url.startswith("postgresql"):
            if not args.reset:
                sys.exit("Give --reset to let the benchmark empty that PostgreSQL database.")
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        config = TestConfig(url)
        config.NOTIFIER_BATCH_SIZE = args.batch_size
        config.SEARCH_INDEX_DIR = f"{scratch}/search"
        sink = MailSink().start()
        config.MAIL_URL = f"smtp://127.0.0.1:{sink.port}"
        config.MAIL_BATCH_SIZE = 500
        app = create_app(config, plugins=[ideas.init_app])
        with app.app_context():
            upgrade()
            run(app, url, args.voters)
            db.session.remove()
            db.engine.dispose()
        sink.stop()


def run(app: object, url: str, voters: int) -> None:
    admin = accounts.register("benchadmin", "admin@example.com", "bench password one",
                              site_admin=True, email_confirmed=True)
    team = accounts.register("benchteam", "team@example.com", "bench password two",
                             email_confirmed=True)
    company = companies.create_company(admin, name="Fanout Inc", slug="fanout")
    companies.set_staff_role(admin, company, team.username, "team")
    idea = idea_services.propose_idea(admin, company, title="A feature everyone wants",
                                      body="Thousands agree.")
    started = time.perf_counter()
    _add_voters(idea, voters)
    print(f"database: {url.split('://')[0]}; {voters:,} voters added in "
          f"{time.perf_counter() - started:.1f} s (setup, not measured)")
    notifier = get_notifier_runtime(app).notifier()
    notifier.run_until_idle()  # the setup's own events
    requests, rates = [], []
    mailer = get_mail_runtime(app).mailer()
    for status in STATUSES:
        idea = db.session.get(Idea, idea.id)
        with counting() as statements:
            begin = time.perf_counter()
            idea_services.change_status(team, idea, status, f"Now {status}.")
            requests.append(time.perf_counter() - begin)
        queued_before = _queued()
        begin = time.perf_counter()
        written = notifier.run_until_idle()
        seconds = time.perf_counter() - begin
        rates.append(written / seconds)
        print(f"status {status:<12} change: {requests[-1] * 1000:6.1f} ms, "
              f"{len(statements)} statements; notifier: {written:,} notifications and "
              f"{_queued() - queued_before:,} queued mails in {seconds:.2f} s = "
              f"{written / seconds:,.0f} notifications/s")
        if status == STATUSES[0]:
            begin = time.perf_counter()
            sent = mailer.run_until_idle().sent
            seconds = time.perf_counter() - begin
            print(f"sender: {sent:,} mails rendered and sent over SMTP on loopback in "
                  f"{seconds:.1f} s = {sent / seconds:,.0f} mails/s")
    print(f"status change median {statistics.median(requests) * 1000:.1f} ms; fan-out median "
          f"{statistics.median(rates):,.0f} notifications/s")
    _bell(voters)


def _queued() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(OutgoingMail)) or 0)


class MailSink:
    """An SMTP server on loopback that accepts everything and keeps nothing."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: object, _session: object, _envelope: object) -> str:
        return "250 OK"

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@contextmanager
def counting(engine: Engine | None = None) -> Iterator[list[str]]:
    """The SQL statements run inside the block, on `engine` (the app's by default: that
    needs an app context)."""
    statements: list[str] = []
    engine = engine if engine is not None else db.engine

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _add_voters(idea: Idea, voters: int) -> None:
    """Accounts and their votes by bulk insert: the setup, not what is measured."""
    password = generate_password_hash("bench password", method="pbkdf2:sha256:1")
    first = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    db.session.execute(insert(User), [
        {"id": first + n, "username": f"voter{n}", "email": f"voter{n}@example.com",
         "email_confirmed_at": utcnow(), "password_hash": password, "display_name": "",
         "bio": "", "is_site_admin": False, "suspension_reason": ""} for n in range(voters)])
    db.session.execute(insert(Vote), [
        {"user_id": first + n, "idea_id": idea.id, "weight": 1.0} for n in range(voters)])
    db.session.execute(Idea.__table__.update().where(Idea.id == idea.id)
                       .values(vote_count=Idea.vote_count + voters))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _bell(voters: int) -> None:
    """The unread count, as every signed-in page runs it."""
    voter = db.session.scalar(select(User).where(User.username == "voter0"))
    samples = []
    with counting() as statements:
        for _ in range(200):
            begin = time.perf_counter()
            unread = notifications.unread_count(voter)
            samples.append(time.perf_counter() - begin)
    total = db.session.scalar(select(func.count()).select_from(Notification))
    print(f"bell: {len(statements) // 200} statement per page, p50 "
          f"{statistics.median(samples) * 1000:.2f} ms ({unread} unread of {total:,} "
          f"notifications in the table)")


if __name__ == "__main__":
    main()
