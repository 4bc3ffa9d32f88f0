"""Category, Thread, Post, Revision, Mention and ThreadLink."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db


class Kind(StrEnum):
    """What a thread is; ideas are threads too, with an Idea row beside them."""

    QUESTION = "question"
    PROBLEM = "problem"
    PRAISE = "praise"
    DISCUSSION = "discussion"
    IDEA = "idea"


FORUM_KINDS = (Kind.QUESTION, Kind.PROBLEM, Kind.PRAISE, Kind.DISCUSSION)


class State(StrEnum):
    OPEN = "open"
    LOCKED = "locked"


class PostKind(StrEnum):
    REPLY = "reply"
    STATUS_CHANGE = "status_change"


class Category(db.Model):
    """A section of one company's forum."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("company_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    thread_count: Mapped[int] = mapped_column(Integer, default=0)

    company: Mapped[Company] = relationship()


class Thread(db.Model):
    """Anything people discuss: a question, a problem, praise, a discussion or an idea."""

    __tablename__ = "threads"
    __table_args__ = (
        # Partial, with id: PostgreSQL walks it in the forum's order (latest activity,
        # then id) and stops at a page; `hidden_at IS NULL` as a column before the order
        # made it sort every thread of the company instead.
        Index("ix_threads_company_activity", "company_id", "last_posted_at", "id",
              sqlite_where=text("hidden_at IS NULL"), postgresql_where=text("hidden_at IS NULL")),
        Index("ix_threads_category_activity", "category_id", "pinned", "last_posted_at"),
        Index("ix_threads_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), default=None
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(10), default=State.OPEN.value)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counters kept in the same transaction as the posts they count (UPDATE n = n + 1).
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_posted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # When the company first answered officially; None until then.
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"), default=None
    )
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")

    company: Mapped[Company] = relationship()
    category: Mapped[Category | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    @property
    def is_locked(self) -> bool:
        return self.state == State.LOCKED.value

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Post(db.Model):
    """One message in a thread; number 1 is the opening post."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        Index("ix_posts_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20), default=PostKind.REPLY.value)
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")
    # The reason category a moderator chose (forum.moderation.models.Reason), shown on
    # the stub left in the thread; empty when the author removed the post.
    hidden_category: Mapped[str] = mapped_column(String(30), default="")

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Revision(db.Model):
    """An earlier version of a post, kept whenever the post is edited."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_post_created", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A version holding what a moderator edited out (personal information): only the
    # company's moderators and site admins read it, not even the author.
    moderators_only: Mapped[bool] = mapped_column(Boolean, default=False)

    editor: Mapped[User] = relationship()


class Mention(db.Model):
    """Someone @named in a post, recorded so notifications can find it."""

    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ThreadLink(db.Model):
    """A post that links to another thread ("see also"), shown on the linked thread."""

    __tablename__ = "thread_links"
    __table_args__ = (UniqueConstraint("post_id", "to_thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    to_thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
