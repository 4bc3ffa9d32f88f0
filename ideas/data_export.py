"""Ideas' part of the data exports: a person's ideas and votes (JSON), and a company's
ideas, votes and tags (CSV), registered through forum's export hooks.

A company sees its voters as its voters list shows them: by username (a deleted account
as "deleted account"), never by address.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from forum.accounts.models import User
from forum.companies.models import Company
from forum.dataexport.archive import BATCH, keyset
from forum.dataexport.company import username
from forum.hooks import CompanyFile, PersonalFile
from forum.threads.models import Thread
from ideas.models import Idea, IdeaTag, Importance, Tag, Vote

Record = dict[str, Any]


def _importance(value: int | None) -> str | None:
    return Importance(value).label if value else None


def my_ideas(connection: Connection, user_id: int, unseen: frozenset[int]
             ) -> Iterator[Record]:
    """The ideas they proposed (their words are theirs, private spaces included)."""
    statement = select(Idea.id, Idea.thread_id, Thread.title, Company.slug, Idea.company_id,
                       Idea.status, Idea.vote_count, Idea.merged_into_id, Idea.created_at,
                       Thread.hidden_at).join(Thread, Thread.id == Idea.thread_id).join(
        Company, Company.id == Idea.company_id).where(Thread.author_id == user_id)
    for batch in keyset(connection, statement, Idea.id):
        for row in batch:
            yield {"id": row.id, "thread_id": row.thread_id, "title": row.title,
                   "company": row.slug if row.company_id not in unseen else None,
                   "status": row.status, "votes": row.vote_count,
                   "merged_into": row.merged_into_id, "proposed_at": row.created_at,
                   "removed_at": row.hidden_at}


def my_votes(connection: Connection, user_id: int, unseen: frozenset[int]
             ) -> Iterator[Record]:
    """Their votes; the idea's title only where they still see it (others wrote it)."""
    statement = select(Vote.id, Vote.idea_id, Idea.thread_id, Idea.company_id, Thread.title,
                       Thread.author_id, Vote.created_at, Vote.importance,
                       Vote.recorded_by_id).join(Idea, Idea.id == Vote.idea_id).join(
        Thread, Thread.id == Idea.thread_id).where(Vote.user_id == user_id)
    for batch in keyset(connection, statement, Vote.id):
        for row in batch:
            seen = row.company_id not in unseen or row.author_id == user_id
            yield {"idea_id": row.idea_id, "thread_id": row.thread_id,
                   "title": row.title if seen else None, "voted_at": row.created_at,
                   "importance": _importance(row.importance),
                   "recorded_by_the_company": row.recorded_by_id is not None}


def company_ideas(connection: Connection, company_id: int) -> Iterator[Sequence[object]]:
    owner = aliased(User)
    statement = select(Idea.id, Idea.thread_id, Thread.title, Idea.status, Idea.vote_count,
                       Idea.merged_into_id, username(owner), Idea.created_at,
                       Idea.status_changed_at, Thread.hidden_at).join(
        Thread, Thread.id == Idea.thread_id).outerjoin(owner, owner.id == Idea.owner_id).where(
        Idea.company_id == company_id)
    for batch in keyset(connection, statement, Idea.id):
        tags: dict[int, list[str]] = {}
        for idea_id, name in connection.execute(
                select(IdeaTag.idea_id, Tag.name).join(Tag, Tag.id == IdeaTag.tag_id).where(
                    IdeaTag.idea_id.in_([row.id for row in batch])).order_by(Tag.name)):
            tags.setdefault(idea_id, []).append(name)
        for row in batch:
            yield [*row[:6], ", ".join(tags.get(row.id, [])), *row[6:]]


def company_votes(connection: Connection, company_id: int) -> Iterator[Sequence[object]]:
    """Idea by idea (a batch of ideas, then their votes streamed by the idea's index)."""
    ideas = select(Idea.id).where(Idea.company_id == company_id)
    for batch in keyset(connection, ideas, Idea.id):
        votes = select(Vote.idea_id, username(), Vote.created_at, Vote.importance,
                       Vote.recorded_by_id).join(User, User.id == Vote.user_id).where(
            Vote.idea_id.in_([row.id for row in batch])).order_by(Vote.idea_id, Vote.created_at)
        for row in connection.execution_options(yield_per=BATCH).execute(votes):
            yield [row[0], row[1], row[2], _importance(row[3]), row[4] is not None]


def company_tags(connection: Connection, company_id: int) -> Iterator[Sequence[object]]:
    statement = select(Tag.id, Tag.slug, Tag.name).where(Tag.company_id == company_id)
    for batch in keyset(connection, statement, Tag.id):
        counts = dict(connection.execute(
            select(IdeaTag.tag_id, func.count()).where(
                IdeaTag.tag_id.in_([row.id for row in batch])).group_by(IdeaTag.tag_id)).all())
        for row in batch:
            yield [*row, counts.get(row.id, 0)]


PERSONAL_FILES = [
    PersonalFile("ideas.json", "the ideas you proposed", my_ideas),
    PersonalFile("votes.json", "your votes (an idea's title where you still see it)", my_votes),
]
COMPANY_FILES = [
    CompanyFile("ideas.csv", "every idea (its thread is in threads.csv)",
                ["id", "thread id", "title", "status", "votes", "merged into", "tags",
                 "owner", "proposed", "status changed", "hidden"], company_ideas),
    CompanyFile("votes.csv", "every vote, by the voter's username",
                ["idea id", "voter", "voted", "importance", "recorded by the team"],
                company_votes),
    CompanyFile("tags.csv", "the company's tags", ["id", "slug", "name", "ideas"],
                company_tags),
]
