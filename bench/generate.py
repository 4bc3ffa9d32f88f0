"""Fill a database with a realistic Cocreate data set, fast, then build its search index.

    .venv/bin/python bench/generate.py --scale S [--database-url URL] [--seed 1] [--reset]

Scale S: 10 companies, 10,000 users, 20,000 ideas, 200,000 votes, 30,000 other threads,
150,000 posts (opening posts included); M is 5x S and L 10x S. Without --database-url it
uses $DATABASE_URL, else an SQLite file /tmp/cocreate-bench-<scale>.db. The schema comes
from the app's migrations; rows go in with PostgreSQL COPY or SQLAlchemy Core executemany,
a chunk of threads per transaction, with every constraint and index the app has.
"""

# ruff: noqa: S608 (SQL is built from this file's own table names, never from input)
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from dataset import SCALES, Chunk, DataSet, sizes
from flask import Flask
from flask_migrate import upgrade
from shared import (
    ROOT,
    SECRET_KEY,
    app_env,
    dialect_of,
    index_dir,
    sqlalchemy_url,
    venv_bin,
    workdir,
)
from sqlalchemy import Connection, bindparam, insert, text, update
from sqlalchemy.engine import make_url

import ideas
from forum import create_app
from forum.config import Config
from forum.database import utcnow
from forum.extensions import db

FIXED_TABLES = ["users", "companies", "memberships", "categories", "tags"]
CHUNK_TABLES = ["threads", "posts", "ideas", "idea_tags", "votes", "status_changes",
                "revisions"]
SERIAL_TABLES = [t for t in FIXED_TABLES + CHUNK_TABLES if t != "idea_tags"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else an SQLite file "
                        "/tmp/cocreate-bench-<scale>.db")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true",
                        help="empty the database first (only one whose name has 'bench')")
    parser.add_argument("--no-index", action="store_true", help="skip `flask search reindex`")
    return parser.parse_args(argv)


def database_url(args: argparse.Namespace) -> str:
    return (args.database_url or os.environ.get("DATABASE_URL")
            or f"sqlite:////tmp/cocreate-bench-{args.scale}.db")


def make_app(url: str) -> Flask:
    config = Config(secret_key=SECRET_KEY)
    config.SQLALCHEMY_DATABASE_URI = sqlalchemy_url(url)
    config.SEARCH_INDEX_DIR = str(index_dir(url))
    config.SEARCH_INDEXER_THREAD = False
    return create_app(config, plugins=[ideas.init_app])


@contextmanager
def step(label: str, timings: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[label] = time.perf_counter() - started
    click.echo(f"{label}: {timings[label]:.1f}s", err=True)


def reset(url: str) -> None:
    """Drop everything, for a re-run; refuses databases not named for benchmarks."""
    parsed = make_url(sqlalchemy_url(url))
    if "bench" not in (parsed.database or ""):
        raise click.ClickException(f"Refusing to reset {parsed.database!r}: its name "
                                   "does not contain 'bench'.")
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    with db.engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.commit()
    db.engine.dispose()


def require_empty() -> None:
    with db.engine.connect() as connection:
        if connection.scalar(text("SELECT count(*) FROM users")):
            raise click.ClickException("The database already has users: pass --reset "
                                       "(bench databases only) or use an empty one.")


class Writer:
    """Rows into tables: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.copy = connection.dialect.name == "postgresql"
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        self.rows[table] = self.rows.get(table, 0) + len(rows)
        if self.copy:
            self._copy(table, rows)
        else:
            self.connection.execute(insert(db.metadata.tables[table]), rows)
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started

    def _copy(self, table: str, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        cursor = self.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])

    def write_chunk(self, chunk: Chunk) -> None:
        for table in CHUNK_TABLES:
            self.write(table, chunk.tables[table])
        if chunk.accepted:  # threads and posts point at each other: set once both exist
            threads = db.metadata.tables["threads"]
            self.connection.execute(
                update(threads).where(threads.c.id == bindparam("thread"))
                .values(accepted_post_id=bindparam("post")), chunk.accepted)


@dataclass
class Written:
    """Rows written per table, seconds spent writing them, and seconds making them."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    making: float = 0.0

    def add(self, writer: Writer) -> None:
        for table, count in writer.rows.items():
            self.rows[table] = self.rows.get(table, 0) + count
            self.seconds[table] = self.seconds.get(table, 0.0) + writer.seconds[table]


def fill(data: DataSet, progress: Callable[[int], object]) -> Written:
    """Write every row, a chunk of threads per transaction."""
    written = Written()
    with db.engine.begin() as connection:
        writer = Writer(connection)
        for table, rows in data.fixed_rows().items():
            writer.write(table, rows)
    written.add(writer)
    chunks = data.chunks()
    while True:
        started = time.perf_counter()
        chunk = next(chunks, None)
        written.making += time.perf_counter() - started
        if chunk is None:
            return written
        with db.engine.begin() as connection:
            writer = Writer(connection)
            writer.write_chunk(chunk)
        written.add(writer)
        progress(chunk.threads)


def finish(dialect: str) -> None:
    """Counters that count threads, sequences past the explicit ids, planner statistics."""
    with db.engine.begin() as connection:
        connection.execute(text(
            "UPDATE categories SET thread_count = (SELECT count(*) FROM threads "
            "WHERE threads.category_id = categories.id AND threads.hidden_at IS NULL)"))
        if dialect == "postgresql":
            for table in SERIAL_TABLES:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    if dialect == "postgresql":
        # What autovacuum does soon after a bulk load anyway; SQLite gets no ANALYZE,
        # because nothing in the app runs one there.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def checks(dialect: str) -> dict[str, str]:
    """Queries that count rows breaking an invariant the app keeps; each must return 0."""
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    posts = "FROM posts p WHERE p.thread_id = t.id"
    return {
        "threads.post_count = posts, numbered 1..n": (
            f"SELECT count(*) FROM threads t WHERE t.post_count != (SELECT count(*) {posts}) "
            f"OR t.post_count != (SELECT max(number) {posts}) "
            f"OR (SELECT min(number) {posts}) != 1"),
        "threads.reply_count = visible replies": (
            f"SELECT count(*) FROM threads t WHERE t.reply_count != (SELECT count(*) {posts} "
            "AND p.number > 1 AND p.kind = 'reply' AND p.hidden_at IS NULL)"),
        "threads.last_posted_at = newest post": (
            f"SELECT count(*) FROM threads t WHERE t.last_posted_at != "
            f"(SELECT max(created_at) {posts})"),
        "threads.answered_at = first official post": (
            f"SELECT count(*) FROM threads t WHERE t.answered_at {differs} "
            f"(SELECT min(created_at) {posts} AND p.official)"),
        "ideas.vote_count = votes": (
            "SELECT count(*) FROM ideas i WHERE i.vote_count != "
            "(SELECT count(*) FROM votes v WHERE v.idea_id = i.id)"),
        "ideas.trend_score = sum of vote weights": (
            "SELECT count(*) FROM ideas i WHERE abs(i.trend_score - (SELECT coalesce("
            "sum(v.weight), 0) FROM votes v WHERE v.idea_id = i.id)) "
            "> 1e-9 * (1 + abs(i.trend_score))"),
        "ideas.priority_score = votes (no segments or estimates)": (
            "SELECT count(*) FROM ideas i WHERE abs(i.priority_score - i.vote_count) > 1e-9"),
        "categories.thread_count = visible threads": (
            "SELECT count(*) FROM categories c WHERE c.thread_count != (SELECT count(*) "
            "FROM threads t WHERE t.category_id = c.id AND t.hidden_at IS NULL)"),
        "every idea thread has its idea": (
            "SELECT count(*) FROM threads t WHERE t.kind = 'idea' AND NOT EXISTS "
            "(SELECT 1 FROM ideas i WHERE i.thread_id = t.id)"),
    }


def verify(dialect: str) -> bool:
    ok = True
    with db.engine.connect() as connection:
        for name, query in checks(dialect).items():
            broken = connection.scalar(text(query))
            ok = ok and broken == 0
            click.echo(f"  {'ok  ' if broken == 0 else 'FAIL'} {name}"
                       + (f" ({broken} rows)" if broken else ""), err=True)
    return ok


def table_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {table: connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0
                for table in FIXED_TABLES + CHUNK_TABLES}


def reindex(url: str) -> float:
    """`flask search reindex` on the generated data; a failure stops the generator."""
    started = time.perf_counter()
    done = subprocess.run([venv_bin("flask"), "search", "reindex"], cwd=ROOT,  # noqa: S603
                          env=app_env(url), check=False)
    if done.returncode != 0:
        raise click.ClickException(f"`flask search reindex` failed (exit {done.returncode}); "
                                   "the rows are written, rerun it or generate again.")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = database_url(args)
    dialect = dialect_of(url)
    timings: dict[str, float] = {}
    if args.reset and dialect == "sqlite":
        reset(url)
    app = make_app(url)
    with app.app_context():
        if args.reset and dialect == "postgresql":
            reset(url)
        with step("migrations", timings):
            upgrade()
        require_empty()
        now = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        with step("planning (and rendering post bodies)", timings):
            data = DataSet(args.scale, args.seed, now)
        total = len(data.kinds)
        with step("writing rows", timings), click.progressbar(
                length=total, label="Threads with their posts, votes and history",
                show_pos=True, show_eta=True, file=sys.stderr) as bar:
            written = fill(data, bar.update)
        with step("counters, sequences, statistics", timings):
            finish(dialect)
        click.echo("Consistency:", err=True)
        consistent = verify(dialect)
        counts = table_counts()
    indexed = None if args.no_index else reindex(url)
    if indexed is not None:
        timings["search reindex"] = indexed
    report(url, args, now, counts, written, timings, consistent)
    if not consistent:
        raise SystemExit(1)


def report(url: str, args: argparse.Namespace, now: datetime, counts: dict[str, int],
           written: Written, timings: dict[str, float], consistent: bool) -> None:
    seconds = timings["writing rows"]
    rows = sum(written.rows.values())
    target = make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
    click.echo(f"\nScale {args.scale} (seed {args.seed}, dated {now:%Y-%m-%d}) into {target}:")
    click.echo(f"  {'table':16} {'rows':>10} {'write s':>8}")
    for table, count in counts.items():
        click.echo(f"  {table:16} {count:>10,} {written.seconds.get(table, 0.0):8.1f}")
    click.echo(f"{rows:,} rows in {seconds:.1f}s ({rows / seconds:,.0f} rows/s; "
               f"{written.making:.1f}s of it making rows in Python); "
               f"total {sum(timings.values()):.1f}s")
    meta = {"scale": args.scale, "seed": args.seed, "date": now.date().isoformat(),
            "sizes": sizes(args.scale), "counts": counts, "timings": timings,
            "consistent": consistent, "search_index": str(index_dir(url))
            if "search reindex" in timings else None}
    (workdir(url) / "dataset.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
