"""The mail queue and each person's choices of what reaches them by mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forum.database import utcnow
from forum.extensions import db

# What happens to a queued mail, in order.
DIGEST = "digest"      # a notification waiting for the person's daily digest
QUEUED = "queued"      # due at next_attempt_at
SENDING = "sending"    # claimed by a sender until claimed_until
SENT = "sent"
DIGESTED = "digested"  # told in the digest mail digest_id
BOUNCED = "bounced"    # the server refused the address for good: nothing more goes to it
FAILED = "failed"      # every attempt failed; `flask mail retry` queues it again
DROPPED = "dropped"    # no longer true or no longer wanted by the time it was due
STATES = (DIGEST, QUEUED, SENDING, SENT, DIGESTED, BOUNCED, FAILED, DROPPED)

# How a person wants each kind of notification by mail.
NOW, DAILY, OFF = "now", "daily", "off"
DELIVERIES = {NOW: "At once", DAILY: "In the daily digest", OFF: "Off"}

# What a mail is, besides a notification (those carry their event).
ACCOUNT = "account"
DIGEST_MAIL = "digest"


class OutgoingMail(db.Model):
    """One mail to one address: a notification's, a digest, or an account message.

    A notification's mail is written by the notifier in the transaction that writes the
    notification, and rendered when it is sent (so nothing hidden meanwhile goes out);
    digests and account mail are rendered when queued.
    """

    __tablename__ = "outgoing_mail"
    # One mail per person and event, whatever happens: the notifier's inserts ignore
    # a second one.
    __table_args__ = (UniqueConstraint("user_id", "event_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # a mail kind, "digest" or "account"
    reason: Mapped[str] = mapped_column(String(20), default="")
    to_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    digest_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


# The sender asks "what is due?", the digest "who has some waiting?".
Index("ix_outgoing_mail_due", OutgoingMail.status, OutgoingMail.next_attempt_at)
Index("ix_outgoing_mail_user_status", OutgoingMail.user_id, OutgoingMail.status)


class MailPreference(db.Model):
    """How one person wants one kind of notification by mail (absent: the kind's default)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10))
