"""Writing the event log (`record`) and reading it in order (`pending`, `backlog`).

Readers remember the last id they applied and ask for the rows after it, so they rely
on ids becoming visible in order. On SQLite that holds by construction: one writer at a
time, and the id is taken inside the write transaction. On PostgreSQL a transaction that
took id 100 may commit after one that took id 101, so `horizon` first takes a SHARE lock
on the table: it waits for every transaction still inserting events, after which every
id at or below the max it reads is committed, and later inserts get higher ids. The lock
is held for one statement, and only when there is something to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from forum.database import in_write_transaction, utcnow
from forum.events.models import Event
from forum.events.types import SHOWN_EVERYWHERE, event_types
from forum.extensions import db
from forum.pagecache.cache import mark_changed

LOCK_TIMEOUT = "5s"  # a writer holding the log longer than this: the reader tries again


def record(type: str, actor: Any, subject: Any, company: Any = None,
           data: Mapping[str, Any] | None = None) -> None:
    """Add an event to the current write transaction: it exists if and only if the
    change it describes is committed. `subject` is the model acted on; its thread (the
    thread itself, or a post's or an idea's) is noted for the readers that go by thread.
    """
    if type not in event_types(current_app):
        raise LookupError(f"unknown event type {type!r}: register it first")
    if not in_write_transaction():
        raise RuntimeError("record() belongs inside `with write_transaction():`")
    if subject.id is None:
        db.session.flush()  # a row added in this transaction gets its id
    thread_id = subject.id if subject.__tablename__ == "threads" else getattr(
        subject, "thread_id", None)
    company_id = company if isinstance(company, int) or company is None else company.id
    data = dict(data or {})
    db.session.execute(insert(Event).values(
        type=type, actor_id=getattr(actor, "id", None), company_id=company_id,
        thread_id=thread_id, subject_type=subject.__tablename__, subject_id=subject.id,
        data=data, created_at=utcnow()))
    mark_changed(company_id, {thread_id, *data.get("thread_ids", ())} - {None},
                 everywhere=type in SHOWN_EVERYWHERE)


@dataclass(frozen=True)
class LoggedEvent:
    """What a reader needs of an event."""

    id: int
    type: str
    actor_id: int | None
    company_id: int | None
    thread_id: int | None
    subject_type: str
    subject_id: int | None
    data: dict[str, Any]


def newest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Event.id))) or 0)


def horizon(session: Session) -> int:
    """The highest event id below which every event is committed (see the module doc)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        session.execute(text("LOCK TABLE events IN SHARE MODE"))
    return newest_id(session)


def pending(session: Session, after: int, limit: int) -> list[LoggedEvent]:
    """Up to `limit` committed events after `after`, in id order; ends the transaction."""
    if newest_id(session) <= after:
        session.rollback()
        return []
    upto = horizon(session)
    rows = session.execute(
        select(Event.id, Event.type, Event.actor_id, Event.company_id, Event.thread_id,
               Event.subject_type, Event.subject_id, Event.data)
        .where(Event.id > after, Event.id <= upto).order_by(Event.id).limit(limit)
    ).all()
    session.commit()  # release the lock before anything slow happens
    return [LoggedEvent(*row) for row in rows]


def backlog(session: Session, after: int) -> int:
    """How many events a reader that applied everything up to `after` has still to read."""
    return int(session.scalar(
        select(func.count()).select_from(Event).where(Event.id > after)) or 0)
