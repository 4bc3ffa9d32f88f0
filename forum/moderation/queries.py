"""Reading moderation: the review queue, a person's flags, which posts they flagged, and
the company's public moderation log."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, and_, bindparam, func, literal, or_, select, union_all
from sqlalchemy.orm import contains_eager, joinedload

from forum.accounts.models import User
from forum.companies.access import out_of_sight
from forum.companies.models import Company
from forum.errors import NotFound
from forum.extensions import db
from forum.moderation.models import Appeal, Flag, ModerationAction, Outcome, Review
from forum.pagination import Page, paginate
from forum.threads.models import Post, Thread

T = TypeVar("T")
QUEUE_SIZE = 50
FLAGS_PER_PAGE = 50
# What counts in an author's history.
AGAINST = (Outcome.HIDE.value, Outcome.LOCK.value, Outcome.BAN.value)


@dataclass(frozen=True)
class QueueItem:
    """One flagged post with its open flags and its author's record at the company."""

    review: Review
    flags: list[Flag]
    earlier_actions: int

    @property
    def post(self) -> Post:
        return self.review.post


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    open_count: int


def open_count(company: Company) -> int:
    """How many flagged posts wait for the company's moderators."""
    return int(db.session.scalar(select(func.count()).select_from(Review).where(
        Review.company_id == company.id, Review.closed_at.is_(None))) or 0)


def review_queue(company: Company, limit: int = QUEUE_SIZE) -> Queue:
    """The oldest open items first, in five statements whatever the queue's length (the
    authors' roles say whom the queue offers to ban).

    The page's ids are picked first, from the reviews alone, and only those are joined to
    their posts, threads and authors: joined before the limit, every open item was (on
    PostgreSQL, whose estimate of open items lags a burst of flags, 10,000 of them took
    100 ms)."""
    oldest = (select(Review.id).where(Review.company_id == company.id,
                                      Review.closed_at.is_(None))
              .order_by(Review.opened_at, Review.id).limit(limit))
    reviews = list(db.session.scalars(
        select(Review).where(Review.id.in_(oldest)).order_by(Review.opened_at, Review.id)
        .options(*_ITEM_LOADS)))
    return Queue(queue_items(reviews), open_count(company))


# What an item shows of its post, its author (and their standing at the company) and its
# thread, loaded with the reviews.
_ITEM_LOADS = (joinedload(Review.post).joinedload(Post.author).selectinload(User.memberships),
               joinedload(Review.post).joinedload(Post.thread),
               joinedload(Review.escalated_by))


def queue_items(reviews: list[Review]) -> list[QueueItem]:
    """Each review with its open flags and its author's record at the review's company:
    two statements for any number of reviews, of any companies."""
    flags: dict[int, list[Flag]] = {}
    history: dict[tuple[int, int], int] = {}
    if reviews:
        for flag in db.session.scalars(
                select(Flag).where(Flag.post_id.in_([r.post_id for r in reviews]),
                                   Flag.resolved_at.is_(None))
                .options(joinedload(Flag.user)).order_by(Flag.created_at, Flag.id)):
            flags.setdefault(flag.post_id, []).append(flag)
        history = {(company_id, user_id): count for company_id, user_id, count in
                   db.session.execute(
            select(ModerationAction.company_id, ModerationAction.target_user_id, func.count())
            .where(ModerationAction.company_id.in_({r.company_id for r in reviews}),
                   ModerationAction.target_user_id.in_({r.post.author_id for r in reviews}),
                   ModerationAction.actor_id.is_not(None),
                   ModerationAction.action.in_(AGAINST))
            .group_by(ModerationAction.company_id, ModerationAction.target_user_id))}
    return [QueueItem(review, flags.get(review.post_id, []),
                      history.get((review.company_id, review.post.author_id), 0))
            for review in reviews]


@dataclass(frozen=True)
class PlatformQueue:
    """The site admins' page of open items of every company."""

    items: list[QueueItem]
    open_count: int
    escalated_count: int
    next_after: int | None  # the review id the next page starts after, if there is one


def platform_queue(after: int | None = None, limit: int = QUEUE_SIZE) -> PlatformQueue:
    """Every company's open items, escalated first, then the oldest: a keyset page (after
    the review `after`) in a fixed number of statements whatever the page, the filters or
    the size.

    Two walks, the escalated items then the others, each in (opened_at, id) order and
    stopped after the page: the others' walk reads ix_reviews_open_escalated in order,
    where one "escalated first" sort over every open item made the database sort them
    all (2.5 times slower with 10,000 open than with 100)."""
    walks: list[tuple[bool, tuple | None]] = [(True, None), (False, None)]
    if after is not None:
        mark = db.session.execute(select(Review.escalated_at.is_not(None), Review.opened_at,
                                         Review.id).where(Review.id == after)).first()
        if mark is not None:
            escalated, opened, last = mark
            walks = ([(True, (opened, last)), (False, None)] if escalated
                     else [(False, (opened, last))])
    ids = _walks(walks, limit + 1)
    found = {review.id: review for review in db.session.scalars(
        select(Review).join(Review.company).where(Review.id.in_(ids))
        .options(*_ITEM_LOADS, contains_eager(Review.company))).unique()}
    reviews = [found[review_id] for review_id in ids if review_id in found]
    page, more = reviews[:limit], len(reviews) > limit
    total, escalated_count = db.session.execute(
        select(func.count(), func.count(Review.escalated_at))
        .where(Review.closed_at.is_(None))).one()
    return PlatformQueue(queue_items(page), int(total), int(escalated_count),
                         page[-1].id if more else None)


def _walks(walks: list[tuple[bool, tuple | None]], limit: int) -> list[int]:
    """Ids of the next `limit` open items: each walk (escalated or not, from after its
    (opened_at, id)) oldest first, in one statement whatever the page."""
    parts = []
    for escalated, after in walks:
        statement = select(literal(0 if escalated else 1).label("rank"), Review.opened_at,
                           Review.id).where(
            Review.closed_at.is_(None),
            Review.escalated_at.is_not(None) if escalated else Review.escalated_at.is_(None))
        if after is not None:
            opened, last = after
            statement = statement.where(or_(Review.opened_at > opened, and_(
                Review.opened_at == opened, Review.id > last)))
        walk = statement.order_by(Review.opened_at, Review.id).limit(limit).subquery()
        parts.append(select(walk))
    rows = db.session.execute(union_all(*parts)).all()
    return [row.id for row in sorted(rows, key=lambda row: (row.rank, row.opened_at,
                                                              row.id))][:limit]


def company_row(model: type[T], company: Company, row_id: int, missing: str) -> T:
    """The `model` row `row_id` if it belongs to `company` (a ban, a watched word): one of
    another company is not found here, whatever id the form carries."""
    row = db.session.scalar(select(model).where(model.id == row_id,  # type: ignore[attr-defined]
                                                model.company_id == company.id))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(missing)
    return row


def get_review(company: Company, post_id: int) -> Review:
    """The review of a post of this company (a post elsewhere is not found here)."""
    review = db.session.scalar(
        select(Review).where(Review.post_id == post_id, Review.company_id == company.id)
        .options(joinedload(Review.post).joinedload(Post.thread)))
    if review is None:
        raise NotFound("That post has no review at this company.")
    return review


def flags_by(user: User, page: int = 1) -> Page:
    """A person's own flags, newest first, with what became of them (not in a private
    space they are no longer part of)."""
    return paginate(
        select(Flag).where(Flag.user_id == user.id,
                           Flag.company_id.not_in(out_of_sight(user))).order_by(Flag.id.desc())
        .options(joinedload(Flag.post).joinedload(Post.thread).joinedload(Thread.company)),
        page, FLAGS_PER_PAGE)


def my_flags(user: object, posts: Iterable[Post]) -> dict[int, Flag]:
    """The viewer's flags on these posts, by post id (none for visitors)."""
    ids = [post.id for post in posts]
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    return {flag.post_id: flag for flag in db.session.scalars(
        _flags_of_user(), {"user_id": user.id, "post_ids": ids})}  # type: ignore[attr-defined]


@functools.cache
def _flags_of_user() -> Select[tuple[Flag]]:
    """Built once, with bind parameters: every signed-in thread and idea page asks."""
    return select(Flag).where(Flag.user_id == bindparam("user_id"),
                              Flag.post_id.in_(bindparam("post_ids", expanding=True)))


LOG_PER_PAGE = 50
PUBLIC_ACTIONS = (Outcome.HIDE, Outcome.RESTORE, Outcome.LOCK, Outcome.KEEP, Outcome.UPHOLD,
                  Outcome.REDACT, Outcome.BAN)


def public_log(company: Company, page: int = 1) -> Page:
    """What the company's moderators did to public content, newest first: the action, its
    reason category, when, and the post (never who flagged it, nor the moderator's note,
    nor who acted: the company answers for its moderators; for a redaction, never what
    was edited out)."""
    return paginate(
        select(ModerationAction).where(ModerationAction.company_id == company.id,
                                       ModerationAction.action.in_(PUBLIC_ACTIONS))
        .options(joinedload(ModerationAction.post).joinedload(Post.thread))
        .order_by(ModerationAction.id.desc()), page, LOG_PER_PAGE)


APPEALS_PER_PAGE = 50


def appeals_queue(company: Company | None, viewer: User, limit: int = APPEALS_PER_PAGE
                  ) -> list[Appeal]:
    """Open appeals, those asked of the viewer first, then the oldest; `company` None: the
    appeals no moderator could take, for the site admins. Two statements whatever the
    length (the appeals with their posts and people, then the hides appealed)."""
    statement = (
        select(Appeal).where(Appeal.decided_at.is_(None))
        .order_by((Appeal.assignee_id == viewer.id).desc(), Appeal.id).limit(limit)
        .options(joinedload(Appeal.post).joinedload(Post.thread).joinedload(Thread.company),
                 joinedload(Appeal.post).joinedload(Post.author),
                 joinedload(Appeal.assignee), joinedload(Appeal.action)))
    if company is None:
        statement = statement.where(Appeal.assignee_id.is_(None))
    else:
        statement = statement.where(Appeal.company_id == company.id)
    return list(db.session.scalars(statement).unique())


def open_appeals(company: Company) -> int:
    """How many appeals wait for the company's moderators."""
    return int(db.session.scalar(select(func.count()).select_from(Appeal).where(
        Appeal.company_id == company.id, Appeal.decided_at.is_(None))) or 0)


def get_appeal(company: Company | None, appeal_id: int) -> Appeal:
    """An appeal at this company (or, for `company` None, anywhere): others are not found."""
    statement = select(Appeal).where(Appeal.id == appeal_id).options(
        joinedload(Appeal.post).joinedload(Post.thread).joinedload(Thread.company))
    if company is not None:
        statement = statement.where(Appeal.company_id == company.id)
    appeal = db.session.scalar(statement)
    if appeal is None:
        raise NotFound("There is no such appeal here.")
    return appeal


def my_appeals(user: object, posts: Iterable[Post]) -> dict[int, Appeal]:
    """The viewer's appeals against the current hide of their hidden posts among these,
    by post id; no statement at all when none of the viewer's posts here is hidden."""
    hidden = {post.id: post for post in posts
              if post.is_hidden and post.author_id == getattr(user, "id", None)}
    if not hidden:
        return {}
    # An appeal against an earlier hide (the post was restored, then hidden again) is
    # not an appeal against this one.
    return {appeal.post_id: appeal for appeal in db.session.scalars(
        select(Appeal).where(Appeal.post_id.in_(hidden)).order_by(Appeal.id))
        if appeal.created_at >= hidden[appeal.post_id].hidden_at}
