"""The idea lifecycle: propose, change status in public, tag (merging is in
`ideas.merging`)."""

from __future__ import annotations

import functools
import re

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.companies.services import get_company
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events.log import record
from forum.extensions import db
from forum.moderation import watched
from forum.threads import posting
from forum.threads.models import Kind, PostKind, Thread
from forum.threads.queries import get_thread
from ideas import events
from ideas.models import Category, Idea, IdeaStatus, IdeaTag, StatusChange, Tag
from ideas.policy import IdeaAction
from ideas.statuses import company_statuses, first_of, status_named
from ideas.votes import cast_vote

MAX_NOTE = 5_000
TAG_NAME = re.compile(r"^[\w][\w &+./-]{0,38}[\w+]?$")


def get_idea(company: Company, thread_id: int) -> Idea:
    """The idea whose thread id is in the URL, if it belongs to this company."""
    idea = db.session.scalar(_idea_by_thread(), {"thread_id": thread_id})
    if idea is None or idea.company_id != company.id:
        raise NotFound("There is no such idea at this company.")
    set_committed_value(idea, "company", company)  # the same row: no second read
    return idea


@functools.cache
def _idea_by_thread() -> Select[tuple[Idea]]:
    """Built once, with a bind parameter: every idea page reads its idea so."""
    return (select(Idea).where(Idea.thread_id == bindparam("thread_id"))
            .options(joinedload(Idea.thread)))


def find_idea(viewer: object, slug: str, thread_id: int) -> Idea:
    """The idea at /c/<slug>/ideas/<thread_id> with its company and thread, in one read.

    For the vote button, whose request reads it in the write transaction: the company,
    the thread and the idea were three statements. When something is missing or hidden,
    they are read one by one to say which.
    """
    idea = db.session.scalar(
        select(Idea).join(Idea.company)
        .where(Idea.thread_id == thread_id, Company.slug == slug.lower())
        .options(contains_eager(Idea.company),
                 joinedload(Idea.thread).joinedload(Thread.author),
                 joinedload(Idea.thread).joinedload(Thread.category)))
    if idea is None or not policy.can(viewer, policy.Action.VIEW_THREAD, idea.thread):
        company = get_company(slug)
        get_thread(viewer, company, thread_id)
        return get_idea(company, thread_id)
    return idea


def company_tags(company: Company) -> list[Tag]:
    return list(db.session.scalars(
        select(Tag).where(Tag.company_id == company.id).order_by(Tag.name)))


def _tags_of(company: Company, tag_ids: list[int]) -> list[Tag]:
    if not tag_ids:
        return []
    tags = list(db.session.scalars(
        select(Tag).where(Tag.company_id == company.id, Tag.id.in_(tag_ids))))
    if len(tags) != len(set(tag_ids)):
        raise Invalid("Choose tags from this company's list.", field="tags")
    return tags


def propose_idea(author: User, company: Company, *, title: str, body: str,
                 tag_ids: list[int] | None = None) -> Idea:
    """A customer proposes an idea: a thread of kind idea, its Idea row and their vote."""
    policy.require(author, IdeaAction.PROPOSE, company)
    tags = _tags_of(company, tag_ids or [])
    held = watched.screen(author, company, body, title)
    # The thread, the idea, its tags and the proposer's vote are committed together.
    with write_transaction(keep_loaded=True):
        start = first_of(company_statuses(company.id), Category.OPEN)
        thread = posting.start_thread(author, company, title=title, body=body,
                                      kind=Kind.IDEA, hold=False)
        idea = Idea(thread_id=thread.id, company_id=company.id, created_at=thread.created_at,
                    status=start.key, status_category=start.category)
        db.session.add(idea)
        db.session.flush()
        db.session.add_all(IdeaTag(idea_id=idea.id, tag_id=tag.id) for tag in tags)
        record(events.IDEA_PROPOSED, author, idea, company,
               {"title": thread.title, "tags": [tag.slug for tag in tags]})
        cast_vote(author, idea)
        if held:  # after the vote, which a hidden idea would refuse
            watched.hold_thread(thread, held)
    return idea


def change_status(actor: User, idea: Idea, status: str, note: str = "") -> StatusChange:
    """Staff move an idea along; the change is an official event in its public thread."""
    policy.require(actor, IdeaAction.CHANGE_STATUS, idea)
    new = status_named(company_statuses(idea.company_id), status)
    if idea.merged_into_id is not None:
        raise Conflict("This idea was merged into another; change that one instead.")
    if len(note) > MAX_NOTE:
        raise Invalid(f"Notes are at most {MAX_NOTE:,} characters.", field="note")
    if new.key == idea.status and not note.strip():
        raise Invalid(f"The idea is already {new.label.lower()}: add a note to say more.",
                      field="status")
    return record_status(actor, idea, new, note)


def record_status(actor: User, idea: Idea, new: IdeaStatus, note: str) -> StatusChange:
    """Give `idea` the company's status `new`, in its public history and thread. The event
    names both statuses as the company called them then (notifications quote them)."""
    with write_transaction():
        old, old_label = idea.status, idea.status_label
        thread = db.session.get(Thread, idea.thread_id)
        assert thread is not None
        post = posting.post_reply(actor, thread, note, official=True,
                                  kind=PostKind.STATUS_CHANGE)
        now = utcnow()
        change = StatusChange(idea_id=idea.id, actor_id=actor.id, from_status=old,
                              to_status=new.key, post_id=post.id, created_at=now)
        db.session.add(change)
        idea.status, idea.status_category = new.key, new.category
        # The row read with the idea is the old status's; a saved row is the new one.
        set_committed_value(idea, "status_row", new if new.id is not None else None)
        idea.status_changed_at = now
        idea.triaged_at = idea.triaged_at or now
        record(events.IDEA_STATUS_CHANGED, actor, idea, idea.company_id,
               {"status": [old, new.key], "labels": [old_label, new.label],
                "post_id": post.id})
    return change


def set_idea_tags(actor: User, idea: Idea, tag_ids: list[int]) -> None:
    """Staff relabel an idea."""
    policy.require(actor, IdeaAction.TAG, idea)
    tags = _tags_of(idea.company, tag_ids)
    with write_transaction():
        db.session.execute(IdeaTag.__table__.delete().where(IdeaTag.idea_id == idea.id))
        db.session.add_all(IdeaTag(idea_id=idea.id, tag_id=tag.id) for tag in tags)
        idea.triaged_at = idea.triaged_at or utcnow()
        record(events.IDEA_TAGGED, actor, idea, idea.company_id,
               {"tags": [tag.slug for tag in tags]})


def tag_slug(name: str) -> str:
    """A tag's address-safe key: names that differ only in case and punctuation clash."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tag"


def create_tag(actor: User, company: Company, name: str) -> Tag:
    """Add a label to the company's list."""
    policy.require(actor, IdeaAction.MANAGE_TAGS, company)
    name = " ".join(name.split())
    if not TAG_NAME.match(name):
        raise Invalid("Tags are 1 to 40 letters, digits, spaces and - & + . /", field="name")
    slug = tag_slug(name)
    with write_transaction():
        if db.session.scalar(select(Tag.id).where(Tag.company_id == company.id,
                                                  Tag.slug == slug)) is not None:
            raise Conflict("That tag already exists.", field="name")
        tag = Tag(company_id=company.id, name=name, slug=slug)
        db.session.add(tag)
        record(events.TAG_CREATED, actor, tag, company, {"name": name})
    return tag


def delete_tag(actor: User, company: Company, tag_id: int) -> None:
    """Remove a label; ideas keep everything else."""
    policy.require(actor, IdeaAction.MANAGE_TAGS, company)
    with write_transaction():
        tag = db.session.get(Tag, tag_id)
        if tag is None or tag.company_id != company.id:
            raise NotFound("There is no such tag at this company.")
        idea_threads = list(db.session.scalars(select(Idea.thread_id).join(IdeaTag).where(
            IdeaTag.tag_id == tag.id)))
        record(events.TAG_DELETED, actor, tag, company,
               {"name": tag.name, "thread_ids": idea_threads})
        db.session.delete(tag)
