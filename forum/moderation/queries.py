"""Reading moderation: the review queue, a person's flags, which posts they flagged, and
the company's public moderation log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.companies.models import Company
from forum.errors import NotFound
from forum.extensions import db
from forum.moderation.models import Flag, ModerationAction, Outcome, Review
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
    authors' roles say whom the queue offers to ban)."""
    reviews = list(db.session.scalars(
        select(Review).where(Review.company_id == company.id, Review.closed_at.is_(None))
        .order_by(Review.opened_at, Review.id).limit(limit)
        .options(joinedload(Review.post).joinedload(Post.author)
                 .selectinload(User.memberships),
                 joinedload(Review.post).joinedload(Post.thread))))
    flags: dict[int, list[Flag]] = {}
    history: dict[int, int] = {}
    if reviews:
        for flag in db.session.scalars(
                select(Flag).where(Flag.post_id.in_([r.post_id for r in reviews]),
                                   Flag.resolved_at.is_(None))
                .options(joinedload(Flag.user)).order_by(Flag.created_at, Flag.id)):
            flags.setdefault(flag.post_id, []).append(flag)
        history = dict(db.session.execute(
            select(ModerationAction.target_user_id, func.count())
            .where(ModerationAction.company_id == company.id,
                   ModerationAction.target_user_id.in_({r.post.author_id for r in reviews}),
                   ModerationAction.actor_id.is_not(None),
                   ModerationAction.action.in_(AGAINST))
            .group_by(ModerationAction.target_user_id)).all())
    items = [QueueItem(review, flags.get(review.post_id, []),
                       history.get(review.post.author_id, 0)) for review in reviews]
    return Queue(items, open_count(company))


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
    """A person's own flags, newest first, with what became of them."""
    return paginate(
        select(Flag).where(Flag.user_id == user.id).order_by(Flag.id.desc())
        .options(joinedload(Flag.post).joinedload(Post.thread).joinedload(Thread.company)),
        page, FLAGS_PER_PAGE)


def my_flags(user: object, posts: Iterable[Post]) -> dict[int, Flag]:
    """The viewer's flags on these posts, by post id (none for visitors)."""
    ids = [post.id for post in posts]
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    return {flag.post_id: flag for flag in db.session.scalars(
        select(Flag).where(Flag.user_id == user.id, Flag.post_id.in_(ids)))}  # type: ignore[attr-defined]


LOG_PER_PAGE = 50
PUBLIC_ACTIONS = (Outcome.HIDE, Outcome.RESTORE, Outcome.LOCK, Outcome.KEEP, Outcome.BAN)


def public_log(company: Company, page: int = 1) -> Page:
    """What the company's moderators did to public content, newest first: the action, its
    reason category, when, and the post (never who flagged it, nor the moderator's note,
    nor who acted: the company answers for its moderators)."""
    return paginate(
        select(ModerationAction).where(ModerationAction.company_id == company.id,
                                       ModerationAction.action.in_(PUBLIC_ACTIONS))
        .options(joinedload(ModerationAction.post).joinedload(Post.thread))
        .order_by(ModerationAction.id.desc()), page, LOG_PER_PAGE)
