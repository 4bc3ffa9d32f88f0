"""Idea, IdeaStatus, Vote, StatusChange, Tag and IdeaTag: what only ideas have, beside
their thread."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db
from forum.threads.models import Post, Thread


class Status(StrEnum):
    """The statuses every company starts with (its own list may rename, reorder, add and
    remove them: see IdeaStatus)."""

    OPEN = "open"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    DECLINED = "declined"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Category(StrEnum):
    """What a status means to the code, whatever a company calls it: new ideas start in
    the first open one, the roadmap shows active and complete ones, voting closes on
    complete and closed ones."""

    OPEN = "open"
    ACTIVE = "active"
    COMPLETE = "complete"
    CLOSED = "closed"


DEFAULT_CATEGORIES = {
    Status.OPEN: Category.OPEN, Status.UNDER_REVIEW: Category.OPEN,
    Status.PLANNED: Category.ACTIVE, Status.IN_PROGRESS: Category.ACTIVE,
    Status.SHIPPED: Category.COMPLETE,
    Status.DECLINED: Category.CLOSED, Status.DUPLICATE: Category.CLOSED,
}
# Customers can no longer vote on ideas in these: the decision is made.
CLOSED_CATEGORIES = frozenset({Category.COMPLETE, Category.CLOSED})


def default_label(key: str) -> str:
    """A status's label when its company has not named it (the built-in ones)."""
    return key.replace("_", " ").capitalize()


class IdeaStatus(db.Model):
    """One of a company's statuses. A company without any rows has the built-in ones
    (`Status`); its first change to the list writes them, then changes them.

    The key is what ideas and their history store, so it never changes: renaming changes
    the label, and removing retires the status (history keeps its label). Neither can
    the category, which ideas copy (`Idea.status_category`).
    """

    __tablename__ = "idea_statuses"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class Idea(db.Model):
    """A thread of kind `idea` (1:1): its status, votes, tags and merge target."""

    __tablename__ = "ideas"
    __table_args__ = (
        Index("ix_ideas_company_trend", "company_id", "trend_score"),
        Index("ix_ideas_company_votes", "company_id", "vote_count"),
        Index("ix_ideas_company_created", "company_id", "created_at"),
        Index("ix_ideas_company_status_trend", "company_id", "status", "trend_score"),
        Index("ix_ideas_company_status_votes", "company_id", "status", "vote_count"),
        Index("ix_ideas_trend", "trend_score"),
        # The triage inbox: a company's untriaged ideas, newest first.
        Index("ix_ideas_company_triage", "company_id", "triaged_at", "created_at"),
        Index("ix_ideas_company_priority", "company_id", "priority_score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), unique=True
    )
    # Copied from the thread so that the board's sorts use one index each.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=Status.OPEN.value)
    # The status's category, which never changes: the board and trending filter on it.
    status_category: Mapped[str] = mapped_column(String(10), default=Category.OPEN.value)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    # Sum of each vote's weight, which doubles every week of the calendar: recent votes
    # count more, and adding or removing one is an atomic `UPDATE ... + w`.
    trend_score: Mapped[float] = mapped_column(Float, default=0.0)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Untriaged until a team member changes its status, tags it or marks it seen.
    triaged_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None)  # a team member
    # The team's estimates, 1 to 5 (unset counts as the middle, 3), and the priority score
    # they and the votes give (ideas.priority): kept current by whatever changes them.
    impact: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    effort: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    priority_score: Mapped[float] = mapped_column(Float, default=0.0)

    thread: Mapped[Thread] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    company: Mapped[Company] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary="idea_tags", order_by="Tag.name")
    # The company's row for the status (None while the company has the built-in list),
    # read in the same statement as the idea: its label costs no query of its own.
    status_row: Mapped[IdeaStatus | None] = relationship(
        primaryjoin=lambda: (foreign(Idea.company_id) == remote(IdeaStatus.company_id))
        & (foreign(Idea.status) == remote(IdeaStatus.key)),
        viewonly=True, lazy="joined", uselist=False)

    @property
    def status_label(self) -> str:
        return self.status_row.label if self.status_row else default_label(self.status)

    @property
    def is_closed(self) -> bool:
        return self.status_category in CLOSED_CATEGORIES or self.merged_into_id is not None


class Vote(db.Model):
    """One customer's support for one idea: counted exactly once."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("user_id", "idea_id"),
        Index("ix_votes_idea_created", "idea_id", "created_at"),
        Index("ix_votes_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    importance: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # Importance
    # The team member who recorded it for the customer (who asked by mail or on a call);
    # None for a vote the customer cast.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class StatusChange(db.Model):
    """One step of an idea's public history, with the official post that announced it."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User] = relationship()
    post: Mapped[Post | None] = relationship()


class Tag(db.Model):
    """A company's label for ideas."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("company_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(40))


class IdeaTag(db.Model):
    __tablename__ = "idea_tags"
    __table_args__ = (Index("ix_idea_tags_tag", "tag_id", "idea_id"),)

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"),
                                        primary_key=True)


class ChangelogEntry(db.Model):
    """A published changelog entry: an official thread of kind "changelog" (people comment
    on it like any thread), and the ideas it shipped."""

    __tablename__ = "changelog_entries"
    __table_args__ = (Index("ix_changelog_company_published", "company_id", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    thread: Mapped[Thread] = relationship()
    ideas: Mapped[list[Idea]] = relationship(secondary="changelog_ideas",
                                             order_by="Idea.id")

    @property
    def shown_ideas(self) -> list[Idea]:
        """The shipped ideas anyone may see: one removed since is not listed."""
        return [idea for idea in self.ideas if not idea.thread.is_hidden]


class ChangelogIdea(db.Model):
    """An idea a changelog entry shipped."""

    __tablename__ = "changelog_ideas"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("changelog_entries.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True, index=True)


class Importance(IntEnum):
    """How much an idea matters to the customer who voted for it (they may not say)."""

    NICE_TO_HAVE = 1
    IMPORTANT = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


class Segment(db.Model):
    """A group of a company's customers whose votes weigh alike ("Enterprise": 3).

    Customers join by hand or from a CSV, by their confirmed address's domain, or by the
    value the company imported for them (yearly revenue, seats) reaching `min_value`.
    """

    __tablename__ = "customer_segments"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    email_domains: Mapped[str] = mapped_column(Text, default="")  # space-separated
    min_value: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def domains(self) -> list[str]:
        return self.email_domains.split()


class Customer(db.Model):
    """What one company knows of one customer: their segment, and a value it imported."""

    __tablename__ = "company_customers"
    __table_args__ = (Index("ix_company_customers_segment", "company_id", "segment_id"),)

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_segments.id", ondelete="SET NULL"), default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    # How the segment was chosen: "hand" (on the page or a CSV row naming it), "value"
    # or "domain". A hand-picked segment is never replaced by a rule.
    assigned_by: Mapped[str] = mapped_column(String(10), default="hand")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()
    segment: Mapped[Segment | None] = relationship()


class PriorityWeights(db.Model):
    """A company's tuning of the priority score (a company without a row uses the
    defaults)."""

    __tablename__ = "priority_weights"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    unsegmented: Mapped[float] = mapped_column(Float, default=1.0)
    not_said: Mapped[float] = mapped_column(Float, default=1.0)
    nice_to_have: Mapped[float] = mapped_column(Float, default=1.0)
    important: Mapped[float] = mapped_column(Float, default=2.0)
    critical: Mapped[float] = mapped_column(Float, default=4.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
