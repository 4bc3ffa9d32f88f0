"""The cursors of the readers that keep their place in the database (the notifier, the
webhook dispatcher): read, locked, and moved in the reader's own write transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from forum.database import WRITE_OPTION
from forum.events import log
from forum.events.log import LoggedEvent
from forum.notifications.models import EventCursor

T = TypeVar("T")


def apply_batch(engine: Engine, name: str, batch_size: int,
                apply: Callable[[Session, Sequence[LoggedEvent]], T]
                ) -> tuple[Sequence[LoggedEvent], T] | None:
    """Read the events after `name`'s cursor (in a short transaction of its own, which
    releases the log's horizon lock at once), then in one write transaction check the
    cursor has not moved, `apply` them and move the cursor past them: a crash leaves all
    of it or none. None when there is nothing new, or another reader took the batch."""
    with Session(engine) as session:
        after = read_cursor(session, name)
        events = log.pending(session, after, batch_size)
    if not events:
        return None
    with Session(engine) as session:
        session.connection(execution_options={WRITE_OPTION: True})
        if read_cursor(session, name, lock=True) != after:
            return None
        result = apply(session, events)
        move_cursor(session, name, events[-1].id)
        session.commit()
    return events, result


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
