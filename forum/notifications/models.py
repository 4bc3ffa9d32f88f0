"""Subscriptions, notifications, and the cursor of each database-side reader of the log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forum.database import utcnow
from forum.extensions import db

THREAD, COMPANY = "thread", "company"  # what a subscription follows (an idea is a thread)


class Subscription(db.Model):
    """A person follows a thread (or idea) or a company; muted, they hear nothing of it."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# The notifier asks "who follows this thread?" for every event.
Index("ix_subscriptions_target", Subscription.target_type, Subscription.target_id)


class Notification(db.Model):
    """One event, for one person: unique per (person, event), so never twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "event_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # why they hear of it: following, ...
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


# The bell counts a person's unread ones on every signed-in page; the list pages by id.
Index("ix_notifications_user_unread", Notification.user_id, Notification.read_at)
Index("ix_notifications_user_id", Notification.user_id, Notification.id)


class EventCursor(db.Model):
    """How far a reader that keeps its place in the database has read the event log."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0)
