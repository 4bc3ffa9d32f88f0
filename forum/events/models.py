"""The events table: the platform's history, kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.database import utcnow
from forum.extensions import db


class Event(db.Model):
    """One thing that happened: who did it, to what, at which company, with what detail."""

    __tablename__ = "events"

    # BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), default=None)
    # The thread it concerns, if any: search, the page cache and a thread's followers
    # all look events up by thread.
    thread_id: Mapped[int | None] = mapped_column(Integer, default=None)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.type}>"


# The audit page filters by each of these, newest first.
Index("ix_events_type_id", Event.type, Event.id)
Index("ix_events_company_id_id", Event.company_id, Event.id)
Index("ix_events_actor_id_id", Event.actor_id, Event.id)
Index("ix_events_thread_id_id", Event.thread_id, Event.id)
