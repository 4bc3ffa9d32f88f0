"""Reading the event log for people: the audit page's list, newest first, filtered."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from forum.accounts.models import User
from forum.companies.models import Company, Membership
from forum.events.models import Event
from forum.extensions import db
from forum.threads.models import Post, Thread
from forum.threads.queries import threads_by_id

PER_PAGE = 50


@dataclass(frozen=True)
class EventFilters:
    """What the audit page was asked to show; empty fields filter nothing."""

    type: str = ""
    company: str = ""  # a company slug
    actor: str = ""  # a username
    before: int | None = None  # keyset: events with a smaller id
    staff_only: bool = False  # only staff and admin actions (see staff_actions)


@dataclass(frozen=True)
class Change:
    """One field an event changed, as "before → after"."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditRow:
    """One event as the audit page shows it."""

    id: int
    type: str
    label: str
    created_at: datetime
    actor: str | None
    actor_is_admin: bool
    company_slug: str | None
    company_name: str | None
    thread: Thread | None
    post: Post | None  # the post a hide, restore, edit or redaction concerns
    subject_type: str
    subject_id: int | None
    changes: list[Change]
    details: list[tuple[str, Any]]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # the `before` of the next page, if there is one


def staff_actions(types: Collection[str], actor: Any) -> ColumnElement[bool]:
    """Staff and admin actions: an event of a type staff do to others' content or to
    settings (EventType.staff_action), by a site admin or by staff of the event's company,
    and not an edit or removal of the actor's own post (data "by_author")."""
    by_author = Event.data["by_author"].as_boolean()
    is_staff = exists().where(Membership.user_id == Event.actor_id,
                              Membership.company_id == Event.company_id)
    return and_(Event.type.in_(sorted(types)) if types else false(),
                or_(actor.is_site_admin.is_(True), is_staff),
                or_(by_author.is_(None), by_author.is_(False)))


def audit_page(filters: EventFilters, labels: Mapping[str, str],
               staff_types: Collection[str] = ()) -> AuditPage:
    """A page of events, newest first: three statements whatever the filters or the size."""
    actor, company = aliased(User), aliased(Company)
    statement = (
        select(Event, actor.username, actor.is_site_admin, company.slug, company.name)
        .outerjoin(actor, actor.id == Event.actor_id)
        .outerjoin(company, company.id == Event.company_id)
        .order_by(Event.id.desc()).limit(PER_PAGE + 1))
    if filters.type:
        statement = statement.where(Event.type == filters.type)
    if filters.company:
        statement = statement.where(company.slug == filters.company.lower())
    if filters.actor:
        statement = statement.where(func.lower(actor.username) == filters.actor.lower())
    if filters.staff_only:
        statement = statement.where(staff_actions(staff_types, actor))
    if filters.before is not None:
        statement = statement.where(Event.id < filters.before)
    found = db.session.execute(statement).all()
    page, more = found[:PER_PAGE], len(found) > PER_PAGE
    threads = threads_by_id({event.thread_id for event, *_ in page if event.thread_id})
    posts = _posts({event.subject_id for event, *_ in page
                    if event.subject_type == "posts" and event.subject_id})
    rows = []
    for event, username, is_admin, slug, name in page:
        changes, details = describe(event.data or {})
        rows.append(AuditRow(
            event.id, event.type, labels.get(event.type, event.type), event.created_at,
            username, bool(is_admin), slug, name, threads.get(event.thread_id),
            posts.get(event.subject_id) if event.subject_type == "posts" else None,
            event.subject_type, event.subject_id, changes, details))
    return AuditPage(rows, rows[-1].id if more else None)


def _posts(ids: set[int]) -> dict[int, Post]:
    """The posts a page of events concerns, with their threads, in one statement."""
    if not ids:
        return {}
    return {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_(ids)).options(joinedload(Post.thread)))}


def describe(data: Mapping[str, Any]) -> tuple[list[Change], list[tuple[str, Any]]]:
    """An event's data as what changed and the rest: services store a change as
    {"field": [before, after]}, or several as {"changes": {"field": [before, after]}};
    lists of ids ("thread_ids") are details, not changes."""
    changes: list[Change] = []
    details: list[tuple[str, Any]] = []
    for key, value in data.items():
        if _is_pair(key, value):
            changes.append(Change(key, value[0], value[1]))
        elif isinstance(value, Mapping) and value and all(
                _is_pair(name, change) for name, change in value.items()):
            changes.extend(Change(name, change[0], change[1])
                           for name, change in value.items())
        elif value not in (None, "", [], {}):
            details.append((key, value))
    return changes, details


def _is_pair(key: str, value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and not key.endswith("_ids")
            and all(not isinstance(item, list | dict) for item in value))
