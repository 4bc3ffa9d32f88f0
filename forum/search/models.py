"""The search outbox: pending index changes, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.database import utcnow
from forum.extensions import db


class SearchOutbox(db.Model):
    """One pending change for the indexer: `doc_type` `doc_id` must be (re)indexed or removed."""

    __tablename__ = "search_outbox"

    # BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    doc_type: Mapped[str] = mapped_column(String(20))
    doc_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(10), default="upsert")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
