"""A person's notifications as the list and the bell show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from forum import policy
from forum.accounts.models import User
from forum.companies.access import out_of_sight
from forum.companies.models import Company
from forum.events.models import Event
from forum.extensions import db
from forum.hooks import hooks_of
from forum.notifications.models import Notification
from forum.threads.models import Post, Thread
from forum.threads.queries import threads_by_id

PER_PAGE = 50
HOME_NEWS = 15  # the latest news on /home (and the API's home); the rest is on /notifications


@dataclass
class Item:
    """One line of the list: a notification, or several of one kind about one thing."""

    ids: list[int]
    event_type: str
    template: str
    reason: str
    created_at: datetime
    unread: bool
    thread: Thread | None
    data: dict[str, Any]
    actors: list[str] = field(default_factory=list)
    post_number: int | None = None

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class NotificationPage:
    items: list[Item]
    next_before: int | None


def notification_page(user: User, before: int | None = None,
                      per_page: int = PER_PAGE) -> NotificationPage:
    """Newest first, a page at a time; a run of one kind about one thing is one line
    ("12 new replies on Quieter pump"). Hidden things are left out, whenever hidden, and
    so is news of a private space the person is no longer part of."""
    actor = aliased(User)
    statement = (
        select(Notification.id, Notification.reason, Notification.created_at,
               Notification.read_at, Event.type, Event.thread_id, Event.subject_type,
               Event.subject_id, Event.data, actor.username, actor.display_name)
        .join(Event, Event.id == Notification.event_id)
        .outerjoin(actor, actor.id == Event.actor_id)
        .where(Notification.user_id == user.id,
               or_(Event.company_id.is_(None), Event.company_id.not_in(out_of_sight(user))))
        .order_by(Notification.id.desc()).limit(per_page + 1))
    if before is not None:
        statement = statement.where(Notification.id < before)
    rows = db.session.execute(statement).all()
    page, more = rows[:per_page], len(rows) > per_page
    threads = threads_by_id({row.thread_id for row in page if row.thread_id})
    hidden_posts = _hidden_posts({row.subject_id for row in page
                                  if row.subject_type == "posts" and row.subject_id})
    texts = hooks_of(current_app).notifications
    items: list[Item] = []
    for row in page:
        text, thread = texts.get(row.type), threads.get(row.thread_id)
        hidden = (row.thread_id and (thread is None or thread.is_hidden)) or (
            row.subject_type == "posts" and row.subject_id in hidden_posts)
        if text is None or (hidden and not text.even_if_hidden):
            continue
        _add(items, row, text.template, thread)
    return NotificationPage(items, page[-1].id if more else None)


def _add(items: list[Item], row: Any, template: str, thread: Thread | None) -> None:
    name = row.display_name or row.username or "Someone"
    last = items[-1] if items else None
    if last and last.event_type == row.type and last.thread is thread and thread \
            and last.unread == (row.read_at is None):
        last.ids.append(row.id)
        if name not in last.actors:
            last.actors.append(name)
        return
    data = dict(row.data or {})
    items.append(Item([row.id], row.type, template, row.reason, row.created_at,
                      row.read_at is None, thread, data, [name], data.get("number")))



def _hidden_posts(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(select(Post.id).where(Post.id.in_(ids),
                                                        Post.hidden_at.is_not(None))))


def page_of(user: User, notification_id: int) -> str | None:
    """The endpoint a notification about no thread points to (a company request's
    page), when its text names one."""
    event_type = db.session.scalar(
        select(Event.type).select_from(Notification)
        .join(Event, Event.id == Notification.event_id)
        .where(Notification.id == notification_id, Notification.user_id == user.id,
               Event.thread_id.is_(None)))
    text = hooks_of(current_app).notifications.get(event_type or "")
    return text.endpoint if text is not None else None


def notification_of(user: User, notification_id: int
                    ) -> tuple[Thread | None, int | None, Company | None]:
    """Where one of the person's notifications points: its thread and post number, or for
    news about them at a company (a ban), that company."""
    row = db.session.execute(
        select(Event.thread_id, Event.data, Event.company_id).select_from(Notification)
        .join(Event, Event.id == Notification.event_id)
        .where(Notification.id == notification_id, Notification.user_id == user.id)).first()
    if row is not None and row.thread_id is None and row.company_id is not None:
        company = db.session.get(Company, row.company_id)
        if company is None or not policy.can(user, policy.Action.VIEW_COMPANY, company):
            return None, None, None
        return None, None, company
    if row is None or row.thread_id is None:
        return None, None, None
    thread = threads_by_id({row.thread_id}).get(row.thread_id)
    # A removed thread is still there for its author (to read why) and its moderators.
    if thread is None or not policy.can(user, policy.Action.VIEW_THREAD, thread):
        return None, None, None
    return thread, (row.data or {}).get("number"), None
