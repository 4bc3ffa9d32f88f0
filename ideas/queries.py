"""Reading ideas: the board, trending, the idea page, the roadmap and profiles.

Every list is one query for its rows plus one per related collection, whatever its
length, and each sort walks an index (see the Idea model's indexes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from forum.accounts.models import User
from forum.companies.access import out_of_sight
from forum.companies.models import Company
from forum.database import utcnow
from forum.events.models import Event
from forum.extensions import db
from forum.pagination import Page, paginate
from forum.search import services as search
from forum.threads.models import Kind, Post, Thread
from forum.threads.urls import thread_path
from ideas import events
from ideas.models import (
    CLOSED_CATEGORIES,
    Category,
    Idea,
    IdeaStatus,
    IdeaTag,
    StatusChange,
    Tag,
    Vote,
)
from ideas.statuses import company_statuses

IDEAS_PER_PAGE = 20
# Each sort is its key, then the idea's id, both descending (the API pages on the pair).
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "trending": Idea.trend_score, "top": Idea.vote_count, "new": Idea.created_at,
    "active": Thread.last_posted_at,
}
SORTS = {name: (key.desc(), Idea.id.desc()) for name, key in SORT_KEYS.items()}
ROADMAP_CATEGORIES = (Category.ACTIVE.value, Category.COMPLETE.value)
ROADMAP_SHIPPED_DAYS = 90


def _with_threads(statement: Select) -> Select:
    """Visible ideas with their threads, the threads' authors, and tags."""
    return (statement.join(Idea.thread).where(Thread.hidden_at.is_(None))
            .options(contains_eager(Idea.thread).joinedload(Thread.author),
                     selectinload(Idea.tags)))


def board(company: Company, *, sort: str = "trending", status: str | None = None,
          tag: Tag | None = None, page: int = 1) -> Page:
    """One page of a company's ideas. Never a merged one, not even among duplicates (its
    votes count for the idea it was merged into, which is listed), and trending leads
    with what is still in play (shipped and declined have their filters)."""
    statement = board_ideas(company, sort=sort, status=status, tag=tag)
    return _page(statement.order_by(*SORTS.get(sort, SORTS["trending"])), page)


def board_ideas(company: Company, *, sort: str = "trending", status: str | None = None,
                tag: Tag | None = None) -> Select[tuple[Idea]]:
    """The board's ideas for these filters, unordered (the board's page and the API's)."""
    statement = _with_threads(select(Idea).where(Idea.company_id == company.id,
                                                 Idea.merged_into_id.is_(None)))
    if status:
        statement = statement.where(Idea.status == status)
    elif sort not in SORTS or sort == "trending":
        statement = statement.where(_in_play())
    if tag is not None:
        statement = statement.where(Idea.id.in_(
            select(IdeaTag.idea_id).where(IdeaTag.tag_id == tag.id)))
    return statement


def trending(page: int = 1) -> Page:
    """The platform's trending ideas still in play, across every company."""
    statement = _with_threads(select(Idea).where(Idea.merged_into_id.is_(None), _in_play()))
    statement = statement.options(joinedload(Idea.company))
    return _page(statement.order_by(*SORTS["trending"]), page)


def _in_play() -> ColumnElement[bool]:
    return Idea.status_category.not_in([category.value for category in CLOSED_CATEGORIES])


def _page(statement: Select, page: int) -> Page:
    return paginate(statement, page, IDEAS_PER_PAGE)


def voted_ids(user: User, ideas: list[Idea]) -> set[int]:
    """Which of these ideas the viewer supports: one query for a whole page."""
    if not getattr(user, "is_authenticated", False) or not ideas:
        return set()
    return set(db.session.scalars(select(Vote.idea_id).where(
        Vote.user_id == user.id, Vote.idea_id.in_([idea.id for idea in ideas]))))


def voters(idea: Idea, limit: int = 30) -> list[Vote]:
    """Who supports an idea, newest first (public, as on Canny and Fider), and who recorded
    each vote a team member recorded for a customer."""
    return list(db.session.scalars(_voters(), {"idea_id": idea.id, "limit": limit}))


def status_history(idea: Idea) -> list[StatusChange]:
    return list(db.session.scalars(_status_history(), {"idea_id": idea.id}))


def latest_official(idea: Idea) -> Post | None:
    """The company's most recent word on the idea, shown at the top of its page."""
    return db.session.scalar(_latest_official(), {"thread_id": idea.thread_id})


# Every idea page runs these: each is built once, with bind parameters (building a
# statement and its cache key cost about as much as running it).


@functools.cache
def _voters() -> Select[tuple[Vote]]:
    return (select(Vote).where(Vote.idea_id == bindparam("idea_id"))
            .options(joinedload(Vote.user), joinedload(Vote.recorded_by))
            .order_by(Vote.created_at.desc(), Vote.id.desc()).limit(bindparam("limit")))


@functools.cache
def _status_history() -> Select[tuple[StatusChange]]:
    return (select(StatusChange).where(StatusChange.idea_id == bindparam("idea_id"))
            .options(joinedload(StatusChange.actor)).order_by(StatusChange.created_at))


@functools.cache
def _latest_official() -> Select[tuple[Post]]:
    return (select(Post).where(Post.thread_id == bindparam("thread_id"),
                               Post.official.is_(True), Post.hidden_at.is_(None),
                               Post.body_source != "")
            .options(joinedload(Post.author)).order_by(Post.number.desc()).limit(1))


@dataclass(frozen=True)
class MergeStep:
    """A merge or an unmerge in an idea's public history, as seen from this idea."""

    created_at: datetime
    undone: bool  # an unmerge
    merged_away: bool  # this idea was the one merged (else the one merged into)
    other: Idea | None  # the other idea, None when it was removed
    actor: User | None
    votes: int  # moved by the merge, or sent back by the unmerge


MERGE_EVENTS = (events.IDEA_MERGED, events.IDEA_UNMERGED)


def merge_history(idea: Idea) -> list[MergeStep]:
    """Every merge and unmerge this idea took part in, on either side, oldest first: one
    query for the events and one for the other ideas.

    The events say which idea was merged (their subject) and into which ("into" in their
    data); the search walks the company's merge events, which are few.
    """
    rows = db.session.execute(
        select(Event, User).outerjoin(User, User.id == Event.actor_id)
        .where(Event.company_id == idea.company_id, Event.type.in_(MERGE_EVENTS),
               or_(and_(Event.subject_type == Idea.__tablename__, Event.subject_id == idea.id),
                   Event.data["into"].as_integer() == idea.id))
        .order_by(Event.id)).all()
    other_ids = [event.data["into"] if event.subject_id == idea.id else event.subject_id
                 for event, _actor in rows]
    others = {other.id: other for other in db.session.scalars(
        select(Idea).join(Idea.thread).options(contains_eager(Idea.thread))
        .where(Idea.id.in_(set(other_ids)), Thread.hidden_at.is_(None)))} if rows else {}
    return [MergeStep(event.created_at, event.type == events.IDEA_UNMERGED,
                      event.subject_id == idea.id, others.get(other_id), actor,
                      event.data.get("votes_returned", event.data.get("votes_moved", 0)))
            for (event, actor), other_id in zip(rows, other_ids, strict=True)]


def merged_into(idea: Idea) -> Idea | None:
    if idea.merged_into_id is None:
        return None
    return db.session.scalar(select(Idea).where(Idea.id == idea.merged_into_id)
                             .options(joinedload(Idea.thread)))


@dataclass(frozen=True)
class RoadmapItem:
    """What the roadmap shows of an idea."""

    url: str
    title: str
    vote_count: int
    tags: list[str]


@dataclass(frozen=True)
class RoadmapColumn:
    status: IdeaStatus
    ideas: list[RoadmapItem]


def roadmap(company: Company, per_column: int = 50) -> list[RoadmapColumn]:
    """The company's active statuses and its recently complete ones, in its order: one
    query for the statuses, one per column and one for all their tags.

    Up to 50 ideas a column are read as plain rows of the few columns shown, not as ideas
    with their threads: loading entities was half of the page's time."""
    since = utcnow() - timedelta(days=ROADMAP_SHIPPED_DAYS)
    found = []
    for status in company_statuses(company.id):
        if status.category not in ROADMAP_CATEGORIES:
            continue
        statement = (
            select(Idea.id, Idea.vote_count, Thread.id.label("thread_id"), Thread.slug,
                   Thread.kind, Thread.title)
            .join(Idea.thread)
            .where(Idea.company_id == company.id, Idea.status == status.key,
                   Idea.merged_into_id.is_(None), Thread.hidden_at.is_(None)))
        if status.category == Category.COMPLETE.value:
            statement = statement.where(Idea.status_changed_at >= since)
        found.append((status, db.session.execute(
            statement.order_by(*SORTS["top"]).limit(per_column)).all()))
    tags = _tag_names({row.id for _status, rows in found for row in rows})
    return [RoadmapColumn(status, [
        RoadmapItem(thread_path(company.slug, row.thread_id, row.slug, row.kind), row.title,
                    row.vote_count, tags.get(row.id, [])) for row in rows])
        for status, rows in found]


def _tag_names(idea_ids: set[int]) -> dict[int, list[str]]:
    """Each idea's tag names, alphabetical (as `Idea.tags`)."""
    names: dict[int, list[str]] = {}
    if idea_ids:
        for idea_id, name in db.session.execute(
                select(IdeaTag.idea_id, Tag.name).join(Tag, Tag.id == IdeaTag.tag_id)
                .where(IdeaTag.idea_id.in_(idea_ids)).order_by(Tag.name)):
            names.setdefault(idea_id, []).append(name)
    return names


def user_ideas(user: User, viewer: Any, limit: int = 20) -> list[Idea]:
    """What a customer asked for, across every company `viewer` may see, with where it
    stands now.

    Ordered by the thread's creation (the idea's own, same transaction), so the database
    walks the author's threads newest first on (author_id, created_at) and stops after
    `limit`, instead of sorting every thread a prolific author ever started.
    """
    statement = _with_threads(select(Idea).where(
        Thread.author_id == user.id, Idea.company_id.not_in(out_of_sight(viewer))))
    return list(db.session.scalars(
        statement.options(joinedload(Idea.company))
        .order_by(Thread.created_at.desc(), Thread.id.desc()).limit(limit)).unique())


def user_votes(user: User, viewer: Any, limit: int = 20) -> list[Idea]:
    """The ideas a customer supports (in the companies `viewer` may see), most recent vote
    first; not merged ones, whose vote counts for the idea they were merged into."""
    statement = _with_threads(select(Idea).join(Vote, Vote.idea_id == Idea.id)
                              .where(Vote.user_id == user.id, Idea.merged_into_id.is_(None),
                                     Idea.company_id.not_in(out_of_sight(viewer))))
    return list(db.session.scalars(
        statement.options(joinedload(Idea.company))
        .order_by(Vote.created_at.desc()).limit(limit)).unique())


def similar(company: Company, title: str, body: str = "",
            exclude: Idea | None = None, limit: int = 5) -> list[Idea]:
    """Ideas of this company like the one being written, from the search index's
    more-like-this (with its relevance threshold), best first."""
    if len(title.strip()) < 3 and len(body.strip()) < 3:
        return []
    thread_ids = search.more_like_this(
        company.id, title, body, kind=Kind.IDEA, limit=limit,
        exclude_thread_id=exclude.thread_id if exclude else None)
    if not thread_ids:
        return []
    found = {idea.thread_id: idea for idea in db.session.scalars(
        _with_threads(select(Idea).where(Idea.thread_id.in_(thread_ids),
                                         Idea.merged_into_id.is_(None)))).unique()}
    return [found[thread_id] for thread_id in thread_ids if thread_id in found]


def profile_section(user: User, viewer: Any) -> tuple[str, dict[str, object]]:
    """A profile's ideas: what this person asked for and supports, and where each stands."""
    return "ideas/_profile_ideas.html", {"proposed": user_ideas(user, viewer),
                                         "supported": user_votes(user, viewer)}
