"""The idea lifecycle: propose, change status in public, merge duplicates (and undo it),
tag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.companies.services import get_company
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events.log import record
from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import THREAD, Subscription
from forum.notifications.notifier import FOLLOWED_BY_ACTOR
from forum.threads import posting
from forum.threads.models import Kind, PostKind, Thread
from forum.threads.queries import get_thread
from forum.threads.urls import thread_path
from ideas import events
from ideas.models import Idea, IdeaTag, Status, StatusChange, Tag, Vote
from ideas.policy import IdeaAction
from ideas.votes import cast_vote, change_vote_count

MAX_NOTE = 5_000
NOT_MERGED = "This idea is not merged into another one: there is nothing to undo."
TAG_NAME = re.compile(r"^[\w][\w &+./-]{0,38}[\w+]?$")


def get_idea(company: Company, thread_id: int) -> Idea:
    """The idea whose thread id is in the URL, if it belongs to this company."""
    idea = db.session.scalar(
        select(Idea).where(Idea.thread_id == thread_id).options(joinedload(Idea.thread)))
    if idea is None or idea.company_id != company.id:
        raise NotFound("There is no such idea at this company.")
    set_committed_value(idea, "company", company)  # the same row: no second read
    return idea


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
    # The thread, the idea, its tags and the proposer's vote are committed together.
    with write_transaction(keep_loaded=True):
        thread = posting.start_thread(author, company, title=title, body=body,
                                      kind=Kind.IDEA)
        idea = Idea(thread_id=thread.id, company_id=company.id, created_at=thread.created_at)
        db.session.add(idea)
        db.session.flush()
        db.session.add_all(IdeaTag(idea_id=idea.id, tag_id=tag.id) for tag in tags)
        record(events.IDEA_PROPOSED, author, idea, company,
               {"title": thread.title, "tags": [tag.slug for tag in tags]})
        cast_vote(author, idea)
    return idea


def change_status(actor: User, idea: Idea, status: str, note: str = "") -> StatusChange:
    """Staff move an idea along; the change is an official event in its public thread."""
    policy.require(actor, IdeaAction.CHANGE_STATUS, idea)
    try:
        new = Status(status)
    except ValueError:
        raise Invalid("Choose one of the statuses in the list.", field="status") from None
    if idea.merged_into_id is not None:
        raise Conflict("This idea was merged into another; change that one instead.")
    if len(note) > MAX_NOTE:
        raise Invalid(f"Notes are at most {MAX_NOTE:,} characters.", field="note")
    if new.value == idea.status and not note.strip():
        raise Invalid(f"The idea is already {new.label.lower()}: add a note to say more.",
                      field="status")
    return _record_status(actor, idea, new, note)


def _record_status(actor: User, idea: Idea, new: Status, note: str) -> StatusChange:
    with write_transaction():
        old = idea.status
        thread = db.session.get(Thread, idea.thread_id)
        assert thread is not None
        post = posting.post_reply(actor, thread, note, official=True,
                                  kind=PostKind.STATUS_CHANGE)
        now = utcnow()
        change = StatusChange(idea_id=idea.id, actor_id=actor.id, from_status=old,
                              to_status=new.value, post_id=post.id, created_at=now)
        db.session.add(change)
        idea.status = new.value
        idea.status_changed_at = now
        idea.triaged_at = idea.triaged_at or now
        record(events.IDEA_STATUS_CHANGED, actor, idea, idea.company_id,
               {"status": [old, new.value], "post_id": post.id})
    return change


def merge_ideas(actor: User, idea: Idea, into: Idea, note: str = "") -> None:
    """Close a duplicate into another idea of the same company: its voters, followers and
    tags move across (a voter of both counts once).

    The duplicate keeps its own votes, followers and tags, frozen while it is merged (no
    page or list shows them as its own), and the event says whom and what the merge added
    to the other idea: `unmerge_idea` takes exactly that off again.
    """
    policy.require(actor, IdeaAction.MERGE, idea)
    if into.id == idea.id:
        raise Invalid("An idea cannot be merged into itself.", field="into")
    if into.company_id != idea.company_id:
        raise Invalid("Merge into an idea of the same company.", field="into")
    with write_transaction():
        _claim_for_merge(idea, into)
        voters, weight = _copy_votes(idea, into)
        change_vote_count(into, len(voters), weight)
        followers = _move_followers(idea.thread_id, into.thread_id)
        tags = _copy_tags(idea, into)
        record(events.IDEA_MERGED, actor, idea, idea.company_id,
               {"into": into.id, "thread_ids": [into.thread_id], "votes_moved": len(voters),
                "voters_moved": voters, "followers_moved": followers, "tags_moved": tags})
        link = f"Merged into {_markdown_link(into)}. {note}".strip()
        _record_status(actor, idea, Status.DUPLICATE, link)


def _claim_for_merge(idea: Idea, into: Idea) -> None:
    """Mark `idea` merged into `into`, as this transaction finds them: never twice, never
    into an idea that is merged itself (a chain), least of all into this one (a loop)."""
    target = db.session.scalar(select(Idea.merged_into_id).where(Idea.id == into.id))
    claimed = db.session.execute(
        update(Idea).where(Idea.id == idea.id, Idea.merged_into_id.is_(None))
        .values(merged_into_id=into.id)).rowcount
    if not claimed:
        raise Conflict("This idea is already merged into another one.")
    if target == idea.id:
        raise Conflict("That idea is merged into this one: unmerge it first.", field="into")
    if target is not None:
        raise Conflict("That idea is itself merged into another one: merge into that one.",
                       field="into")


def _copy_votes(idea: Idea, into: Idea) -> tuple[list[int], float]:
    """Give `into` a vote from each voter of `idea` who had none there, with its weight and
    time: who was moved, and the weight they brought."""
    voters = db.session.execute(select(Vote.user_id, Vote.weight, Vote.created_at)
                                .where(Vote.idea_id == idea.id)).all()
    moved: list[int] = []
    weight = 0.0
    for user_id, vote_weight, created_at in voters:
        inserted = db.session.execute(
            insert_ignoring_conflicts(Vote.__table__).values(
                user_id=user_id, idea_id=into.id, weight=vote_weight, created_at=created_at)
            .returning(Vote.__table__.c.id)).first()
        if inserted is not None:
            moved.append(user_id)
            weight += vote_weight
    return moved, weight


def _copy_tags(idea: Idea, into: Idea) -> list[int]:
    """Label `into` with the tags of `idea` it lacks: the ids of those it now has."""
    already = set(db.session.scalars(select(IdeaTag.tag_id).where(IdeaTag.idea_id == into.id)))
    added = [tag_id for tag_id in db.session.scalars(
        select(IdeaTag.tag_id).where(IdeaTag.idea_id == idea.id).order_by(IdeaTag.tag_id))
        if tag_id not in already]
    if added:
        db.session.execute(insert_ignoring_conflicts(IdeaTag),
                           [{"idea_id": into.id, "tag_id": tag_id} for tag_id in added])
    return added


def _markdown_link(idea: Idea) -> str:
    path = thread_path(idea.company.slug, idea.thread_id, idea.thread.slug, idea.thread.kind)
    return f"[{idea.thread.title}]({path})"


def _move_followers(from_thread_id: int, to_thread_id: int) -> list[int]:
    """The merged idea's followers follow the surviving one too (a mute stays a mute):
    who was not following it yet, and now is."""
    following = select(Subscription.user_id).where(
        Subscription.target_type == THREAD, Subscription.target_id == from_thread_id,
        Subscription.muted.is_(False))
    already = set(db.session.scalars(select(Subscription.user_id).where(
        Subscription.target_type == THREAD, Subscription.target_id == to_thread_id)))
    newcomers = [user_id for user_id in db.session.scalars(following) if user_id not in already]
    if newcomers:
        db.session.execute(insert_ignoring_conflicts(Subscription), [
            {"user_id": user_id, "target_type": THREAD, "target_id": to_thread_id,
             "muted": False, "created_at": utcnow()} for user_id in newcomers])
    return newcomers


@dataclass(frozen=True)
class Unmerged:
    """What an unmerge did, to tell the person who asked."""

    into: Idea  # the idea it had been merged into
    voters_returned: list[int]
    voters_withdrawn: list[int]
    followers_removed: list[int]
    tags_removed: list[int]
    status: Status


def unmerge_idea(actor: User, idea: Idea, note: str = "") -> Unmerged:
    """Undo a merge: each idea gets back the voters, followers and tags it had before, and
    the merged idea its status, with a public note in its thread.

    The merge's event names what it added to the other idea; that comes off again unless
    the person has since changed it themselves:
    - A moved voter whose moved vote is still there goes back: it leaves the other idea
      and their vote on this one counts again. One who took the moved vote back since
      stays withdrawn: their vote here goes too, and a vote they cast there again after
      the merge stays there. A voter of both ideas was never moved: counted on both.
    - A follow the merge added goes, unless its person has muted or followed again since,
      or took part there (replied, voted), which makes them follow it anyway.
    - A tag the merge added goes, if the other idea still has it.
    Counters move by exactly the votes removed, in SQL, as every vote moves them.
    """
    policy.require(actor, IdeaAction.UNMERGE, idea)
    if len(note) > MAX_NOTE:
        raise Invalid(f"Notes are at most {MAX_NOTE:,} characters.", field="note")
    with write_transaction():
        into, merge = _release_merge(idea)
        returned, withdrawn = _return_votes(idea, into, merge)
        followers = _remove_moved_followers(into, merge)
        tags = list(db.session.scalars(delete(IdeaTag).where(
            IdeaTag.idea_id == into.id, IdeaTag.tag_id.in_(merge.data.get("tags_moved", [])))
            .returning(IdeaTag.tag_id)))
        record(events.IDEA_UNMERGED, actor, idea, idea.company_id,
               {"into": into.id, "thread_ids": [into.thread_id], "merge_event_id": merge.id,
                "votes_returned": len(returned), "voters_returned": returned,
                "voters_withdrawn": withdrawn, "followers_removed": followers,
                "tags_removed": tags})
        status, since = _status_before_merge(idea)
        link = (f"No longer merged into {_markdown_link(into)}: the votes for this idea "
                f"count here again. {note}").strip()
        _record_status(actor, idea, status, link)
        idea.status_changed_at = since  # as before the merge: the roadmap's "recently"
    return Unmerged(into, returned, withdrawn, followers, tags, status)


def _release_merge(idea: Idea) -> tuple[Idea, Event]:
    """Unmark `idea` as merged, as this transaction finds it: the idea it was merged into
    and the merge's event, which says what the merge moved."""
    into_id = db.session.scalar(select(Idea.merged_into_id).where(Idea.id == idea.id))
    if into_id is None:
        raise Conflict(NOT_MERGED)
    into = db.session.scalars(select(Idea).where(Idea.id == into_id)
                              .options(joinedload(Idea.thread))
                              .execution_options(populate_existing=True)).one()
    if into.merged_into_id is not None:
        raise Conflict(f"“{into.thread.title}” was itself merged into another idea since: "
                       "unmerge it first.")
    merge = db.session.scalar(
        select(Event).where(Event.thread_id == idea.thread_id, Event.type == events.IDEA_MERGED,
                            Event.subject_id == idea.id).order_by(Event.id.desc()).limit(1))
    if merge is None or merge.data.get("into") != into_id:
        raise Conflict("There is no record of what this merge moved, so it cannot be undone.")
    released = db.session.execute(
        update(Idea).where(Idea.id == idea.id, Idea.merged_into_id == into_id)
        .values(merged_into_id=None)).rowcount
    if not released:  # another unmerge got there first
        raise Conflict(NOT_MERGED)
    return into, merge


def _return_votes(idea: Idea, into: Idea, merge: Event) -> tuple[list[int], list[int]]:
    """Take the votes the merge moved off `into`: (who went back, who had withdrawn).

    A moved vote kept the time it was cast on `idea`, so a vote cast on `into` after the
    merge is newer than the merge and stays.
    """
    moved = merge.data.get("voters_moved", [])
    back = db.session.execute(delete(Vote).where(
        Vote.idea_id == into.id, Vote.user_id.in_(moved), Vote.created_at <= merge.created_at)
        .returning(Vote.user_id, Vote.weight)).all()
    returned = sorted(user_id for user_id, _weight in back)
    gone = db.session.execute(delete(Vote).where(
        Vote.idea_id == idea.id, Vote.user_id.in_(set(moved) - set(returned)))
        .returning(Vote.user_id, Vote.weight)).all()
    change_vote_count(into, -len(back), -sum(weight for _user, weight in back))
    change_vote_count(idea, -len(gone), -sum(weight for _user, weight in gone))
    return returned, sorted(user_id for user_id, _weight in gone)


def _remove_moved_followers(into: Idea, merge: Event) -> list[int]:
    """End the follows of `into` the merge added that nobody has touched since: who no
    longer follows it."""
    took_part = select(Event.actor_id).where(
        Event.thread_id == into.thread_id, Event.id > merge.id,
        Event.type.in_(FOLLOWED_BY_ACTOR), Event.actor_id.is_not(None))
    return sorted(db.session.scalars(delete(Subscription).where(
        Subscription.target_type == THREAD, Subscription.target_id == into.thread_id,
        Subscription.user_id.in_(merge.data.get("followers_moved", [])),
        Subscription.muted.is_(False), Subscription.created_at <= merge.created_at,
        Subscription.user_id.not_in(took_part)).returning(Subscription.user_id)))


def _status_before_merge(idea: Idea) -> tuple[Status, datetime | None]:
    """The status the merge changed, and since when the idea had had it. A merged idea's
    status cannot change, so the merge's status change is its latest."""
    merge_change, *earlier = db.session.scalars(
        select(StatusChange).where(StatusChange.idea_id == idea.id)
        .order_by(StatusChange.id.desc()).limit(2))
    return Status(merge_change.from_status), earlier[0].created_at if earlier else None


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


def create_tag(actor: User, company: Company, name: str) -> Tag:
    """Add a label to the company's list."""
    policy.require(actor, IdeaAction.MANAGE_TAGS, company)
    name = " ".join(name.split())
    if not TAG_NAME.match(name):
        raise Invalid("Tags are 1 to 40 letters, digits, spaces and - & + . /", field="name")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tag"
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
