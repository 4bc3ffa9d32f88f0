"""Reading the search outbox: what is pending after the index's last applied id.

The index remembers the last outbox id it contains and asks for the rows after it, so it
relies on ids becoming visible in order. On SQLite that holds by construction: one writer
at a time, and the id is taken inside the write transaction. On PostgreSQL a transaction
that took id 100 may commit after one that took id 101, so `horizon` first takes a SHARE
lock on the table: it waits for every transaction still inserting into the outbox, then
any id at or below the max it reads is committed, and later inserts get higher ids.
The lock is held for one statement, and only when there is something to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from forum.database import utcnow
from forum.search.models import SearchOutbox

LOCK_TIMEOUT = "5s"  # a writer holding the outbox longer than this: try again next poll


@dataclass(frozen=True)
class OutboxRow:
    id: int
    doc_type: str
    doc_id: int
    op: str


def newest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(SearchOutbox.id))) or 0)


def horizon(session: Session) -> int:
    """The highest outbox id below which every row is committed (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        session.execute(text("LOCK TABLE search_outbox IN SHARE MODE"))
    return newest_id(session)


def pending(session: Session, after: int, limit: int) -> list[OutboxRow]:
    """Up to `limit` committed rows after `after`, in id order; ends the transaction."""
    if newest_id(session) <= after:
        session.rollback()
        return []
    upto = horizon(session)
    rows = session.execute(
        select(SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id, SearchOutbox.op)
        .where(SearchOutbox.id > after, SearchOutbox.id <= upto)
        .order_by(SearchOutbox.id)
        .limit(limit)
    ).all()
    session.commit()  # release the lock before anything slow happens
    return [OutboxRow(*row) for row in rows]


def backlog(session: Session, after: int) -> int:
    """How many outbox rows the index has not applied yet."""
    return int(session.scalar(
        select(func.count()).select_from(SearchOutbox).where(SearchOutbox.id > after)) or 0)


def prune(session: Session, applied_through: int, keep_seconds: float, limit: int) -> int:
    """Delete up to `limit` applied rows older than `keep_seconds`; returns how many.

    The newest row is always kept: on SQLite the id is the rowid, which restarts from
    max(id) + 1, so deleting the newest row would hand its id out again, below the
    index's last applied id, where the indexer would never look.
    """
    cutoff = utcnow() - timedelta(seconds=keep_seconds)
    newest = newest_id(session)
    doomed = (
        select(SearchOutbox.id)
        .where(SearchOutbox.id <= applied_through, SearchOutbox.id < newest,
               SearchOutbox.created_at <= cutoff)
        .order_by(SearchOutbox.id)
        .limit(limit)
    )
    ids = list(session.scalars(doomed))
    if ids:
        session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(ids)))
    session.commit()
    return len(ids)
