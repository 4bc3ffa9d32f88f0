"""CSV for a company's team: its ideas as the inbox's current view shows them, and one
idea's voters. Streamed a thousand rows at a time, so that a company with 200,000 ideas
exports without holding them in memory; cells that a spreadsheet would run as a formula
are written as text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from flask import url_for
from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.dataexport.archive import csv_text
from forum.extensions import db
from forum.threads.models import Thread
from forum.threads.urls import thread_path
from ideas.models import (
    Customer,
    Idea,
    IdeaStatus,
    IdeaTag,
    Importance,
    Segment,
    Tag,
    Vote,
    default_label,
)
from ideas.policy import IdeaAction
from ideas.triage import View, in_view

CHUNK = 1000
IDEA_COLUMNS = ["title", "status", "votes", "priority", "segments", "tags", "owner", "impact",
                "effort", "proposed", "status changed", "answered", "link"]
VOTER_COLUMNS = ["username", "name", "voted", "importance", "segment", "value", "profile"]


def _lines(header: Sequence[str],
           rows: Callable[[Connection], Iterable[Sequence[object]]]) -> Iterator[str]:
    """CSV text, a chunk at a time. The server reads the body after the view has returned,
    outside its contexts: the rows come through a connection of the body's own."""
    engine = db.engine

    def chunks() -> Iterator[str]:
        with engine.connect() as connection:
            yield from csv_text(header, rows(connection), bom=False)

    return chunks()


def ideas_csv(actor: User, company: Company, view: View) -> Iterator[str]:
    """The ideas of the view, every page of it, as CSV text in chunks."""
    policy.require(actor, IdeaAction.TRIAGE, company)
    owner = aliased(User)
    statement = in_view(
        select(Idea.id, Thread.id.label("thread_id"), Thread.slug, Thread.title, Idea.status,
               IdeaStatus.label.label("status_label"), Idea.vote_count, Idea.priority_score,
               Idea.impact, Idea.effort, owner.username, Idea.created_at,
               Idea.status_changed_at, Thread.answered_at), company, view
    ).outerjoin(owner, owner.id == Idea.owner_id).outerjoin(  # the company's name for it
        IdeaStatus, (IdeaStatus.company_id == Idea.company_id) & (IdeaStatus.key == Idea.status))
    # Built now, in the request: the rows are read after it (an idea's address ends in
    # "<thread id>-<slug>").
    sample = url_for("companies.home", _external=True).rstrip("/") + thread_path(
        company.slug, 1, "s", "idea")
    prefix = sample.removesuffix("1-s")

    def rows(connection: Connection) -> Iterator[Sequence[object]]:
        result = connection.execution_options(yield_per=CHUNK).execute(statement)
        for chunk in result.partitions():
            ids = {row.id for row in chunk}
            tags, segments = _tags(connection, ids), _segments(connection, company.id, ids)
            for row in chunk:
                link = f"{prefix}{row.thread_id}-{row.slug}"
                yield [row.title, row.status_label or default_label(row.status),
                       row.vote_count, round(row.priority_score, 2),
                       "; ".join(segments.get(row.id, [])), ", ".join(tags.get(row.id, [])),
                       row.username, row.impact, row.effort, row.created_at,
                       row.status_changed_at, row.answered_at, link]

    return _lines(IDEA_COLUMNS, rows)


def _tags(connection: Connection, idea_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for idea_id, name in connection.execute(
            select(IdeaTag.idea_id, Tag.name).join(Tag, Tag.id == IdeaTag.tag_id)
            .where(IdeaTag.idea_id.in_(idea_ids)).order_by(Tag.name)):
        found.setdefault(idea_id, []).append(name)
    return found


def _segments(connection: Connection, company_id: int,
              idea_ids: set[int]) -> dict[int, list[str]]:
    """Each idea's votes per segment, most first: "Enterprise: 4"."""
    found: dict[int, list[str]] = {}
    for idea_id, name, count in connection.execute(
            select(Vote.idea_id, Segment.name, func.count())
            .join(Customer, and_(Customer.user_id == Vote.user_id,
                                 Customer.company_id == company_id))
            .join(Segment, Segment.id == Customer.segment_id)
            .where(Vote.idea_id.in_(idea_ids)).group_by(Vote.idea_id, Segment.name)
            .order_by(Vote.idea_id, func.count().desc(), Segment.name)):
        found.setdefault(idea_id, []).append(f"{name}: {count}")
    return found


def voters_csv(actor: User, idea: Idea) -> Iterator[str]:
    """One idea's voters, earliest first, with their segments (their addresses stay
    private)."""
    policy.require(actor, IdeaAction.TRIAGE, idea.company)
    statement = (select(User.username, User.display_name, Vote.created_at, Vote.importance,
                        Segment.name.label("segment"), Customer.value)
                 .join(Vote, Vote.user_id == User.id)
                 .outerjoin(Customer, and_(Customer.user_id == User.id,
                                           Customer.company_id == idea.company_id))
                 .outerjoin(Segment, Segment.id == Customer.segment_id)
                 .where(Vote.idea_id == idea.id).order_by(Vote.created_at, Vote.id))
    profiles = url_for("accounts.profile", username="-", _external=True)[:-1]

    def rows(connection: Connection) -> Iterator[Sequence[object]]:
        for row in connection.execution_options(yield_per=CHUNK).execute(statement):
            importance = Importance(row.importance).label if row.importance else ""
            yield [row.username, row.display_name or row.username, row.created_at,
                   importance, row.segment, row.value, profiles + row.username]

    return _lines(VOTER_COLUMNS, rows)
