"""Database plumbing shared by every area: SQLite settings, write transactions, upserts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from forum.extensions import db

WRITE_OPTION = "cocreate_write"

P = ParamSpec("P")
R = TypeVar("R")


def utcnow() -> datetime:
    """Naive UTC, as stored in every timestamp column on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


def configure_database(app: Flask) -> None:
    """Bind SQLAlchemy and, on SQLite, make every connection safe for several processes."""
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front, so two processes writing at
        # once queue on busy_timeout instead of failing with "database is locked".
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start the current service's write transaction now (BEGIN IMMEDIATE on SQLite).

    Anything read earlier in the request (the signed-in user) ran in a read transaction;
    it is ended first, because a SQLite read transaction cannot safely become a writer.
    """
    session = db.session()
    if session.in_transaction():
        if session.connection().get_execution_options().get(WRITE_OPTION):
            return  # already writing: a service composed of others keeps one transaction
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


def writes(view: Callable[P, R]) -> Callable[P, R]:
    """For a view that writes: its transaction is the write one from the first statement.

    The signed-in user, the thread and whatever the policy looks at are then read in the
    transaction that writes, so `begin_write` has no read transaction to end, and nothing
    loaded is expired and read a second time.
    """
    @functools.wraps(view)
    def in_write_transaction(*args: P.args, **kwargs: P.kwargs) -> R:
        begin_write()
        return view(*args, **kwargs)

    return in_write_transaction


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds, for a caller that shows it next.

    Only for a service whose changes are on the loaded objects too (values a statement
    returned, set with `set_committed_value`): the objects are then what was committed.
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def insert_ignoring_conflicts(table: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the dialect in use."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()
