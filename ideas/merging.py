"""Merging duplicate ideas, and undoing it exactly: votes, followers and tags move across
and come back, and both ideas' public history says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from forum import policy
from forum.accounts.models import User
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.events.log import record
from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import THREAD, Subscription
from forum.notifications.notifier import FOLLOWED_BY_ACTOR
from forum.threads.urls import thread_path
from ideas import events
from ideas.models import Category, Idea, IdeaStatus, IdeaTag, StatusChange, Vote
from ideas.policy import IdeaAction
from ideas.services import MAX_NOTE, record_status
from ideas.statuses import MERGE_STATUS, company_statuses, first_of, status_named
from ideas.votes import change_vote_count

NOT_MERGED = "This idea is not merged into another one: there is nothing to undo."


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
        record_status(actor, idea, status_named(company_statuses(idea.company_id),
                                                MERGE_STATUS), link)


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
    """Give `into` a vote from each voter of `idea` who had none there, with its weight,
    time, importance and recorder: who was moved, and the weight they brought."""
    voters = db.session.execute(select(Vote.user_id, Vote.weight, Vote.created_at,
                                       Vote.importance, Vote.recorded_by_id)
                                .where(Vote.idea_id == idea.id)).all()
    moved: list[int] = []
    weight = 0.0
    for user_id, vote_weight, created_at, importance, recorded_by_id in voters:
        inserted = db.session.execute(
            insert_ignoring_conflicts(Vote.__table__).values(
                user_id=user_id, idea_id=into.id, weight=vote_weight, created_at=created_at,
                importance=importance, recorded_by_id=recorded_by_id)
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
    status: IdeaStatus


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
        record_status(actor, idea, status, link)
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


def _status_before_merge(idea: Idea) -> tuple[IdeaStatus, datetime | None]:
    """The status the merge changed, and since when the idea had had it. A merged idea's
    status cannot change, so the merge's status change is its latest. If the company has
    removed that status since, the idea gets the first one of the same category, as that
    status's ideas did (or the first open one)."""
    merge_change, *earlier = db.session.scalars(
        select(StatusChange).where(StatusChange.idea_id == idea.id)
        .order_by(StatusChange.id.desc()).limit(2))
    statuses = company_statuses(idea.company_id, retired=True)
    before = next((row for row in statuses if row.key == merge_change.from_status), None)
    if before is not None and before.retired_at is None:
        return before, earlier[0].created_at if earlier else None
    current = [row for row in statuses if row.retired_at is None]
    category = before.category if before is not None else Category.OPEN.value
    return next((row for row in current if row.category == category),
                first_of(current, Category.OPEN)), None
