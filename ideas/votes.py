"""Votes: one per customer per idea, counted exactly once under any concurrency."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts import invitations
from forum.accounts.email import check_email, owner_of
from forum.accounts.models import User
from forum.accounts.services import find_user
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.events.log import record
from forum.extensions import db
from forum.threads.urls import thread_path
from ideas import events, priority, segments
from ideas.models import Idea, Vote
from ideas.policy import IdeaAction

# A vote's trending weight doubles every week after this moment, so recent votes count
# more and the sum of weights orders ideas by recent support. Doubles reach 2**1023, so
# this lasts about 19 years before the epoch needs moving (and the sums rescaling).
TREND_EPOCH = datetime(2026, 1, 1)
TREND_HALF_LIFE_SECONDS = 7 * 24 * 3600


def vote_weight(moment: datetime) -> float:
    return 2.0 ** ((moment - TREND_EPOCH).total_seconds() / TREND_HALF_LIFE_SECONDS)


def cast_vote(user: User, idea: Idea) -> bool:
    """Add the user's vote; True if it was new, False if they had already voted."""
    policy.require(user, IdeaAction.VOTE, idea)
    with write_transaction(keep_loaded=True):
        now = utcnow()
        weight = vote_weight(now)
        inserted = db.session.execute(
            insert_ignoring_conflicts(Vote.__table__)
            .values(user_id=user.id, idea_id=idea.id, weight=weight, created_at=now)
            .returning(Vote.__table__.c.id)
        ).first()
        if inserted is not None:
            segments.place_voter(user, idea)
            change_vote_count(idea, +1, weight)
            record(events.VOTE_CAST, user, idea, idea.company_id)
    return inserted is not None


@dataclass(frozen=True)
class RecordedVote:
    """A vote recorded for a customer: whose, named as the team member named them."""

    voter: User
    named: str  # "@username", or the address as typed: never the account it belongs to
    invited: bool  # no account had the address: an invited one was mailed a link


def record_vote_on_behalf(actor: User, idea: Idea, *, username: str | None = None,
                          email: str | None = None) -> RecordedVote:
    """Record a vote for a customer who asked by mail or on a call, as Canny's "vote on
    behalf": it counts once, is theirs (they may take it back), shows who recorded it,
    and the customer is told.

    By username, the vote is that account's. By address, it is the vote of the account
    that confirmed the address, else of an invited account (made now, or still waiting
    from an earlier invitation) whose address is mailed a link to claim it. The answer
    names the person as the team member did, "@name" or the address, and is worded alike
    whether or not the address had an account: the form never turns a customer's address
    into their username (nor says whether they have one). Only a confirmed address finds
    an account: one waiting to be confirmed proves nothing, so it gets an invitation. The
    voter list is public, as on Canny and Fider, so the vote shows under the voter's name
    there: that is what voting means, and no more than the customer asked for.
    """
    policy.require(actor, IdeaAction.RECORD_VOTE, idea)
    if (username is None) == (email is None):
        raise Invalid("Give the customer's username or email address.", field="customer")
    with write_transaction(keep_loaded=True):
        voter, named, invited = (_by_username(username) if username is not None
                                 else _by_address(actor, idea, email or ""))
        if voter.is_suspended:
            raise Invalid(f"{named} is suspended: no vote can be recorded for them now.",
                          field="customer")
        if not policy.can(voter, policy.Action.VIEW_COMPANY, idea.company):
            raise Invalid(f"{idea.company.name}'s space is private and {named} is not a "
                          "guest: invite them on the Privacy page first.", field="customer")
        now = utcnow()
        weight = vote_weight(now)
        inserted = db.session.execute(
            insert_ignoring_conflicts(Vote.__table__)
            .values(user_id=voter.id, idea_id=idea.id, weight=weight, created_at=now,
                    recorded_by_id=actor.id)
            .returning(Vote.__table__.c.id)
        ).first()
        if inserted is None:
            raise Conflict(f"{named} has voted for this idea already: nothing changed.",
                           field="customer")
        segments.place_voter(voter, idea)
        change_vote_count(idea, +1, weight)
        record(events.VOTE_RECORDED, actor, idea, idea.company_id,
               {"voter_id": voter.id, "invited": invited})
        if voter.is_unclaimed:
            invitations.mail_invitation(
                voter, inviter=idea.company.name, about_path=_idea_path(idea),
                note=f"{idea.company.name} recorded your vote for “{idea.thread.title}”, "
                     "as you asked.")
    return RecordedVote(voter, named, invited)


def _idea_path(idea: Idea) -> str:
    thread = idea.thread
    return thread_path(idea.company.slug, thread.id, thread.slug, thread.kind)


def _by_username(username: str) -> tuple[User, str, bool]:
    name = username.strip().removeprefix("@")
    voter = find_user(name) if name else None
    if voter is None:
        raise Invalid(f"There is nobody called @{name} here. Check the spelling, or give "
                      "their email address.", field="customer")
    return voter, f"@{voter.username}", False


def _by_address(actor: User, idea: Idea, email: str) -> tuple[User, str, bool]:
    address = check_email(email, field="customer")
    owner = owner_of(address)
    if owner is not None:
        return owner, address, False
    voter, _made = invitations.invited_account(actor, idea.company_id, address)
    return voter, address, True


def retract_vote(user: User, idea: Idea) -> bool:
    """Take the user's vote back; True if there was one."""
    policy.require(user, IdeaAction.RETRACT_VOTE, idea)
    with write_transaction(keep_loaded=True):
        removed = db.session.execute(
            delete(Vote).where(Vote.user_id == user.id, Vote.idea_id == idea.id)
            .returning(Vote.weight)
        ).first()
        if removed is not None:
            change_vote_count(idea, -1, -removed.weight)
            record(events.VOTE_RETRACTED, user, idea, idea.company_id)
    return removed is not None


def change_vote_count(idea: Idea, delta: int, weight: float) -> None:
    """Counters move in the transaction that adds or removes the votes (a vote, a merge,
    an unmerge), in SQL: no read-modify-write; then the priority score is recomputed from
    the votes (the row is locked by then, so it sees every vote committed before).

    The idea takes the counts the statements returned, so the voter sees the count their
    vote made without the idea being read again.
    """
    count, score = db.session.execute(
        update(Idea).where(Idea.id == idea.id)
        .values(vote_count=Idea.vote_count + delta, trend_score=Idea.trend_score + weight)
        .returning(Idea.vote_count, Idea.trend_score)
    ).one()
    set_committed_value(idea, "vote_count", count)
    set_committed_value(idea, "trend_score", score)
    priority.refresh(idea=idea)


def own_vote(user: User, idea: Idea) -> Vote | None:
    """The viewer's vote for the idea, if they are signed in and voted."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(_own_vote(), {"user_id": user.id, "idea_id": idea.id})


@functools.cache
def _own_vote() -> Select[tuple[Vote]]:
    """Built once, with bind parameters: every signed-in idea page asks."""
    return select(Vote).where(Vote.user_id == bindparam("user_id"),
                              Vote.idea_id == bindparam("idea_id"))
