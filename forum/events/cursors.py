"""The cursors of the readers that keep their place in the database (the notifier, the
webhook dispatcher): read, locked, and moved in the reader's own write transaction."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forum.notifications.models import EventCursor


def read_cursor(session: Session, name: str, lock: bool = False) -> int:
    """The last event `name` applied (0 before its first); `lock` holds it on PostgreSQL
    until the transaction ends, so two readers never apply one batch."""
    statement = select(EventCursor.last_event_id).where(EventCursor.name == name)
    if lock and session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return int(session.scalar(statement) or 0)


def move_cursor(session: Session, name: str, last_id: int) -> None:
    moved = session.execute(update(EventCursor).where(EventCursor.name == name)
                            .values(last_event_id=last_id))
    if moved.rowcount == 0:
        session.add(EventCursor(name=name, last_event_id=last_id))
