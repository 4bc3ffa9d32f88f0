"""Reading the event log for people: the audit page's list, newest first, filtered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from forum.accounts.models import User
from forum.companies.models import Company
from forum.events.models import Event
from forum.extensions import db
from forum.threads.models import Thread
from forum.threads.queries import threads_by_id

PER_PAGE = 50


@dataclass(frozen=True)
class EventFilters:
    """What the audit page was asked to show; empty fields filter nothing."""

    type: str = ""
    company: str = ""  # a company slug
    actor: str = ""  # a username
    before: int | None = None  # keyset: events with a smaller id


@dataclass(frozen=True)
class AuditRow:
    """One event as the audit page shows it."""

    id: int
    type: str
    label: str
    created_at: datetime
    actor: str | None
    company_slug: str | None
    company_name: str | None
    thread: Thread | None
    subject_type: str
    subject_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # the `before` of the next page, if there is one


def audit_page(filters: EventFilters, labels: Mapping[str, str]) -> AuditPage:
    """A page of events, newest first: two statements whatever the filters or the size."""
    actor, company = aliased(User), aliased(Company)
    statement = (
        select(Event, actor.username, company.slug, company.name)
        .outerjoin(actor, actor.id == Event.actor_id)
        .outerjoin(company, company.id == Event.company_id)
        .order_by(Event.id.desc()).limit(PER_PAGE + 1))
    if filters.type:
        statement = statement.where(Event.type == filters.type)
    if filters.company:
        statement = statement.where(company.slug == filters.company.lower())
    if filters.actor:
        statement = statement.where(func.lower(actor.username) == filters.actor.lower())
    if filters.before is not None:
        statement = statement.where(Event.id < filters.before)
    found = db.session.execute(statement).all()
    page, more = found[:PER_PAGE], len(found) > PER_PAGE
    threads = threads_by_id({event.thread_id for event, *_ in page if event.thread_id})
    rows = [AuditRow(event.id, event.type, labels.get(event.type, event.type),
                     event.created_at, username, slug, name, threads.get(event.thread_id),
                     event.subject_type, event.subject_id, dict(event.data or {}))
            for event, username, slug, name in page]
    return AuditPage(rows, rows[-1].id if more else None)

