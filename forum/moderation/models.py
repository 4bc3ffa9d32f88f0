"""Flag, Review and ModerationAction: what people reported and what moderators did;
CompanyBan and WatchedWord: who may not post at a company, and what may not be said there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db
from forum.threads.models import Post


class Reason(StrEnum):
    """Why a post is flagged or hidden; OTHER needs words of its own."""

    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    PERSONAL_INFORMATION = "personal_information"
    OTHER = "other"


# What people read for each reason, in flags, stubs and notifications. PENDING_REVIEW and
# HELD are never chosen: the reasons of an automatic hide after enough trusted flags, and
# of a post held back because it contains one of the company's watched words.
PENDING_REVIEW = "pending_review"
HELD = "held"
AWAITING_REVIEW = frozenset({PENDING_REVIEW, HELD})  # hidden until a moderator decides
REASON_LABELS = {
    Reason.SPAM: "spam",
    Reason.ABUSE: "abuse or harassment",
    Reason.OFF_TOPIC: "off-topic",
    Reason.PERSONAL_INFORMATION: "personal information",
    Reason.OTHER: "other",
    PENDING_REVIEW: "hidden pending review",
    HELD: "held for a moderator",
}


class Outcome(StrEnum):
    """What a moderator did: the `action` of a ModerationAction, the outcome of a review."""

    HIDE = "hide"
    RESTORE = "restore"
    KEEP = "keep"
    LOCK = "lock"
    UPHOLD = "uphold"  # an appeal decided: the hide stands
    # Personal information edited out of the post; the removed text is a revision only
    # moderators read.
    REDACT = "redact"
    BAN = "ban"


class Flag(db.Model):
    """One person's report of one post, made once; resolved when a moderator decides."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id"),
        Index("ix_flags_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(500), default="")
    # Counted towards the company's automatic hide (see services.is_trusted).
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    user: Mapped[User] = relationship()
    post: Mapped[Post] = relationship()

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)


class Review(db.Model):
    """A flagged post waiting for a moderator: one row per post, reopened by new flags.

    The unique post_id lets a burst of flags make one review (insert, ignoring the
    conflict), and its counters are changed in the statement that counts each flag."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_company_open", "company_id", "closed_at", "opened_at"),
        # The site admins' queue across companies: escalated first, then the oldest.
        Index("ix_reviews_open_escalated", "closed_at", "escalated_at", "opened_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"),
                                         unique=True)
    open_flags: Mapped[int] = mapped_column(Integer, default=0)
    trusted_flags: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(20), default="")
    # Handed to the site admins by a company moderator; the item stays open until decided.
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    escalation_note: Mapped[str] = mapped_column(String(300), default="")

    company: Mapped[Company] = relationship()
    post: Mapped[Post] = relationship()
    escalated_by: Mapped[User | None] = relationship(foreign_keys=[escalated_by_id])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None


class ModerationAction(db.Model):
    """What a moderator (or the flag threshold, with no actor) did to whose post, and why:
    the history the queue shows, and what a restore reads to give back what was there."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        Index("ix_moderation_actions_company_target", "company_id", "target_user_id"),
        Index("ix_moderation_actions_post", "post_id", "id"),
        # The company's public moderation log, newest first.
        Index("ix_moderation_actions_company", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    target_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    # A hidden accepted answer stops being the answer; restoring it makes it one again.
    cleared_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class Appeal(db.Model):
    """An author asking for a moderator's hide to be undone: once per hide, decided by a
    moderator other than the one who hid it (`assignee_id` None: by the site admins)."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_company_open", "company_id", "decided_at", "id"),
        Index("ix_appeals_assignee_open", "assignee_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # The hide appealed against: one appeal each (a post hidden again may be appealed again).
    action_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_actions.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Whoever hid the post never decides its appeal.
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # restore or uphold
    decision_note: Mapped[str] = mapped_column(String(500), default="")

    company: Mapped[Company] = relationship()
    post: Mapped[Post] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    action: Mapped[ModerationAction] = relationship()

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    @property
    def thread_id(self) -> int:
        """The appealed post's thread: the event log files appeals under it."""
        return self.post.thread_id
class CompanyBan(db.Model):
    """A person may not post at one company until a date: they still read everything.

    A ban ends by itself at `until`, or earlier when a moderator lifts it; either way the
    row stays, so the bans page shows what happened and why."""

    __tablename__ = "company_bans"
    __table_args__ = (Index("ix_company_bans_company", "company_id", "id"),
                      Index("ix_company_bans_user", "user_id", "lifted_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The post the ban was decided on, from the review queue.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"),
                                                default=None)
    until: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    lift_note: Mapped[str] = mapped_column(String(500), default="")

    company: Mapped[Company] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    lifted_by: Mapped[User | None] = relationship(foreign_keys=[lifted_by_id])

    @property
    def is_current(self) -> bool:
        return self.lifted_at is None and self.until > utcnow()

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)

    @property
    def why(self) -> str:
        """What the banned person reads: the reason, and the moderator's note."""
        return f"{self.reason_label} ({self.note.rstrip('.')})" if self.note else self.reason_label


class WatchedAction(StrEnum):
    """What a watched word does to a post that contains it."""

    BLOCK = "block"  # refused, with the word named, and the text kept in the form
    HOLD = "hold"  # saved hidden, and put in the review queue


class WatchedWord(db.Model):
    """A word or phrase a company watches for in what customers post, kept lowercase:
    matching ignores case, so "Spam" and "spam" are one entry."""

    __tablename__ = "watched_words"
    __table_args__ = (UniqueConstraint("company_id", "phrase"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    phrase: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    company: Mapped[Company] = relationship()
    created_by: Mapped[User | None] = relationship()
