"""Reading discussions: each page's data in a fixed number of queries."""

from __future__ import annotations

import functools
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts.models import User
from forum.companies.access import out_of_sight
from forum.companies.models import Company
from forum.companies.services import get_company
from forum.database import utcnow
from forum.errors import NotFound
from forum.extensions import db
from forum.pagination import Page, clamp_page, paginate
from forum.threads.models import FORUM_KINDS, Category, Post, Revision, Thread

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 20


def _thread_list(statement: Select, page: int, per_page: int = THREADS_PER_PAGE) -> Page:
    return paginate(statement.options(joinedload(Thread.author), joinedload(Thread.last_poster),
                                      joinedload(Thread.category)), page, per_page)


def latest_threads(company: Company, page: int = 1) -> Page:
    """The company's discussions, most recently active first (ideas have their board, and
    a plug-in's own kinds their own pages)."""
    return _thread_list(forum_threads(company).order_by(Thread.last_posted_at.desc(),
                                                         Thread.id.desc()), page)


def forum_threads(company: Company) -> Select[tuple[Thread]]:
    """The company's discussions that anyone may see (the forum page's, and the API's),
    unordered, with their authors."""
    return (select(Thread).where(Thread.company_id == company.id, Thread.hidden_at.is_(None),
                                 Thread.kind.in_([kind.value for kind in FORUM_KINDS]))
            .options(joinedload(Thread.author)))


def category_threads(category: Category, page: int = 1) -> Page:
    """A category's threads: pinned first, then by last activity."""
    return _thread_list(
        select(Thread).where(Thread.category_id == category.id, Thread.hidden_at.is_(None))
        .order_by(Thread.pinned.desc(), Thread.last_posted_at.desc(), Thread.id.desc()), page)


def get_thread(viewer: object, company: Company, thread_id: int) -> Thread:
    """The thread in the URL, if it belongs to that company and the viewer may see it."""
    thread = db.session.scalar(_thread_by_id(), {"thread_id": thread_id})
    if thread is None or thread.company_id != company.id or not policy.can(
            viewer, policy.Action.VIEW_THREAD, thread):
        raise NotFound("That thread does not exist, or it was removed.")
    return thread


@functools.cache
def _thread_by_id() -> Select[tuple[Thread]]:
    return (select(Thread).where(Thread.id == bindparam("thread_id"))
            .options(joinedload(Thread.author), joinedload(Thread.category)))


def find_thread(viewer: object, slug: str, thread_id: int) -> Thread:
    """The thread at /c/<slug>/t/<thread_id> with its company, in one read.

    For replies, whose request reads it in the write transaction. When the company or
    the thread is missing, or the viewer may not see it, `get_thread` says which.
    """
    thread = db.session.scalar(
        select(Thread).join(Thread.company)
        .where(Thread.id == thread_id, Company.slug == slug.lower())
        .options(contains_eager(Thread.company), joinedload(Thread.author),
                 joinedload(Thread.category)))
    if thread is None or not policy.can(viewer, policy.Action.VIEW_THREAD, thread):
        return get_thread(viewer, get_company(slug), thread_id)
    return thread


def threads_by_id(ids: set[int]) -> dict[int, Thread]:
    """Threads with their companies, by id, in one statement (hidden ones included: the
    caller decides who may see them)."""
    if not ids:
        return {}
    found = db.session.scalars(select(Thread).where(Thread.id.in_(ids))
                               .options(joinedload(Thread.company)))
    return {thread.id: thread for thread in found}


def get_post(thread: Thread, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.thread_id != thread.id:
        raise NotFound("That post is not part of this thread.")
    return post


def thread_posts(thread: Thread, page: int = 1) -> Page:
    """One page of posts by number: numbers are dense, so each page is an index range."""
    page = clamp_page(page)
    first = (page - 1) * POSTS_PER_PAGE + 1
    posts = list(db.session.scalars(_page_of_posts(), {
        "thread_id": thread.id, "first": first, "after": first + POSTS_PER_PAGE}))
    return Page(_in_thread(posts, thread), page, thread.post_count >= first + POSTS_PER_PAGE)


@functools.cache
def _page_of_posts() -> Select[tuple[Post]]:
    """Built once, with bind parameters, for every thread page (building it cost about as
    much as running it)."""
    return (select(Post).where(Post.thread_id == bindparam("thread_id"),
                               Post.number >= bindparam("first"),
                               Post.number < bindparam("after"))
            .options(joinedload(Post.author)).order_by(Post.number))


def _in_thread(posts: list[Post], thread: Thread) -> list[Post]:
    """Posts that know their thread without asking the session: the page's templates and
    policy reach `post.thread` for every post, and each lookup would cost a lazy load."""
    for post in posts:
        set_committed_value(post, "thread", thread)
    return posts


def page_count(thread: Thread) -> int:
    return max(1, -(-thread.post_count // POSTS_PER_PAGE))


def accepted_post(thread: Thread) -> Post | None:
    if thread.accepted_post_id is None:
        return None
    post = db.session.scalar(select(Post).where(Post.id == thread.accepted_post_id)
                             .options(joinedload(Post.author)))
    return _in_thread([post], thread)[0] if post is not None else None


def revisions(post: Post, *, with_redacted: bool = False) -> list[Revision]:
    """A post's earlier versions, newest first; those holding what a moderator edited
    out only `with_redacted` (the caller asked policy.VIEW_REDACTED)."""
    statement = (select(Revision).where(Revision.post_id == post.id)
                 .options(joinedload(Revision.editor)).order_by(Revision.created_at.desc()))
    if not with_redacted:
        statement = statement.where(Revision.moderators_only.is_(False))
    return list(db.session.scalars(statement))


@dataclass(frozen=True)
class Responsiveness:
    threads: int
    answered: int
    median_hours: float | None

    @property
    def answered_share(self) -> int:
        return round(100 * self.answered / self.threads) if self.threads else 0


def responsiveness(company: Company, days: int = 90) -> Responsiveness:
    """How many recent threads the company answered officially, and how fast (median).

    It reads every thread of the period, so each process keeps the figures for
    RESPONSIVENESS_CACHE_SECONDS: a statistic over 90 days may be minutes old, while the
    forum and company pages stay as fast for a big company as for a small one.
    """
    cache = current_app.extensions.setdefault("responsiveness", {})
    key, now = (company.id, days), time.monotonic()
    cached = cache.get(key)
    if cached is not None and now - cached[0] < current_app.config[
            "RESPONSIVENESS_CACHE_SECONDS"]:
        return cached[1]
    figures = _responsiveness(company, days)
    cache[key] = (now, figures)
    return figures


def _responsiveness(company: Company, days: int) -> Responsiveness:
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(Thread.created_at, Thread.answered_at)
        .where(Thread.company_id == company.id, Thread.hidden_at.is_(None),
               Thread.created_at >= since)
    ).all()
    delays = [(answered - created).total_seconds() / 3600
              for created, answered in rows if answered is not None]
    median = statistics.median(delays) if delays else None
    return Responsiveness(len(rows), len(delays), median)


def user_threads(user: User, viewer: Any, limit: int = 20) -> list[Thread]:
    """A person's threads across every company `viewer` may see, newest first."""
    return list(db.session.scalars(
        select(Thread).where(Thread.author_id == user.id, Thread.hidden_at.is_(None),
                             Thread.company_id.not_in(out_of_sight(viewer)))
        .options(joinedload(Thread.company)).order_by(Thread.created_at.desc()).limit(limit)
    ))


def user_posts(user: User, viewer: Any, limit: int = 20) -> list[Post]:
    """A person's replies across every company `viewer` may see, newest first."""
    return list(db.session.scalars(
        select(Post).join(Post.thread)
        .where(Post.author_id == user.id, Post.number > 1, Post.hidden_at.is_(None),
               Thread.hidden_at.is_(None), Thread.company_id.not_in(out_of_sight(viewer)))
        .options(contains_eager(Post.thread).joinedload(Thread.company))
        .order_by(Post.created_at.desc()).limit(limit)
    ))


def thread_count_by_company(company: Company) -> int:
    return db.session.scalar(select(func.count()).select_from(Thread).where(
        Thread.company_id == company.id, Thread.hidden_at.is_(None))) or 0
