"""The public changelog: entries the team writes in Markdown, each linking the ideas it
shipped. Publishing gives those ideas the company's shipping status, its first complete
one (their voters hear of it from the status change), and tells the voters of linked
ideas that were complete already."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import write_transaction
from forum.errors import Invalid, NotFound
from forum.events.log import record
from forum.extensions import db
from forum.pagination import Page, paginate
from forum.threads import posting
from forum.threads.models import Post, Thread
from forum.threads.urls import thread_path
from ideas import events, services
from ideas.models import Category, ChangelogEntry, ChangelogIdea, Idea, IdeaStatus
from ideas.policy import IdeaAction
from ideas.statuses import company_statuses, first_of

KIND = "changelog"  # the thread kind of an entry, shown at forum's thread page
PER_PAGE = 10
MAX_IDEAS = 100


def publish(actor: User, company: Company, *, title: str, body: str,
            idea_thread_ids: Sequence[int]) -> ChangelogEntry:
    """Publish an entry: its official thread, its ideas shipped, everyone told."""
    policy.require(actor, IdeaAction.PUBLISH_CHANGELOG, company)
    ideas = _ideas_of(company, idea_thread_ids)
    with write_transaction():
        thread = posting.start_thread(actor, company, title=title, body=body, kind=KIND,
                                      official=True)
        entry = ChangelogEntry(thread_id=thread.id, company_id=company.id)
        db.session.add(entry)
        db.session.flush()
        db.session.add_all(ChangelogIdea(entry_id=entry.id, idea_id=idea.id) for idea in ideas)
        path = thread_path(company.slug, thread.id, thread.slug, KIND)
        shipping = shipping_status(company)
        shipped_before = [idea for idea in ideas
                          if idea.status_category == Category.COMPLETE.value]
        for idea in ideas:
            if idea.status_category != Category.COMPLETE.value:
                services.change_status(actor, idea, shipping.key,
                                       f"{shipping.label}: see [{thread.title}]({path}).")
        record(events.CHANGELOG_PUBLISHED, actor, entry, company,
               {"title": thread.title, "ideas": [idea.id for idea in ideas],
                "shipped_before": [idea.id for idea in shipped_before],
                "thread_ids": [idea.thread_id for idea in ideas]})
    return entry


def shipping_status(company: Company) -> IdeaStatus:
    """What publishing marks linked ideas with: the company's first complete status."""
    return first_of(company_statuses(company.id), Category.COMPLETE)


def _ideas_of(company: Company, thread_ids: Sequence[int]) -> list[Idea]:
    """The linked ideas, all of this company's and not merged away, or nothing is saved."""
    wanted = list(dict.fromkeys(thread_ids))
    if len(wanted) > MAX_IDEAS:
        raise Invalid(f"Link at most {MAX_IDEAS} ideas to one entry.", field="ideas")
    found = list(db.session.scalars(select(Idea).where(
        Idea.thread_id.in_(wanted), Idea.company_id == company.id)
        .options(joinedload(Idea.thread))))
    if len(found) != len(wanted):
        raise NotFound("Some of the linked ideas are not this company's: nothing was "
                       "published.")
    if any(idea.thread.is_hidden for idea in found):
        raise Invalid("One of the linked ideas was removed: it cannot be in the changelog.",
                      field="ideas")
    merged = next((idea for idea in found if idea.merged_into_id is not None), None)
    if merged is not None:
        raise Invalid(f"“{merged.thread.title}” was merged into another idea: link that one.",
                      field="ideas")
    order = {thread_id: index for index, thread_id in enumerate(wanted)}
    return sorted(found, key=lambda idea: order[idea.thread_id])


def entries(company: Company, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Published entries, newest first, with their threads and shipped ideas."""
    statement = (select(ChangelogEntry).join(ChangelogEntry.thread)
                 .where(ChangelogEntry.company_id == company.id, Thread.hidden_at.is_(None))
                 .options(contains_eager(ChangelogEntry.thread),
                          selectinload(ChangelogEntry.ideas).joinedload(Idea.thread))
                 .order_by(ChangelogEntry.published_at.desc(), ChangelogEntry.id.desc()))
    return paginate(statement, page, per_page)


def opening_posts(page: Page) -> dict[int, Post]:
    """What each entry says: its thread's first post, for all of a page in one query."""
    thread_ids = [entry.thread_id for entry in page.items]
    return {post.thread_id: post for post in db.session.scalars(
        select(Post).where(Post.thread_id.in_(thread_ids), Post.number == 1))}


def candidates(company: Company, limit: int = 200) -> list[Idea]:
    """Ideas a new entry may link: active ones first, then open ones (each the furthest
    along first), then complete ones."""
    rank = {row.key: (RANK_BY_CATEGORY[row.category], row.position
                      if row.category == Category.COMPLETE.value else -row.position)
            for row in company_statuses(company.id) if row.category in RANK_BY_CATEGORY}
    found = db.session.scalars(
        select(Idea).join(Idea.thread)
        .where(Idea.company_id == company.id, Idea.merged_into_id.is_(None),
               Thread.hidden_at.is_(None), Idea.status.in_(list(rank)))
        .options(joinedload(Idea.thread))
        .order_by(Idea.status_changed_at.desc().nulls_last(), Idea.id.desc()).limit(limit))
    return sorted(found, key=lambda idea: rank[idea.status])


RANK_BY_CATEGORY = {Category.ACTIVE.value: 0, Category.OPEN.value: 1,
                    Category.COMPLETE.value: 2}
