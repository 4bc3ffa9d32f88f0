"""Votes: one per customer per idea, counted exactly once under any concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts.models import User
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.events.log import record
from forum.extensions import db
from ideas import events, priority
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
            priority.place_voter(user, idea)
            change_vote_count(idea, +1, weight)
            record(events.VOTE_CAST, user, idea, idea.company_id)
    return inserted is not None


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
    return db.session.scalar(select(Vote).where(Vote.user_id == user.id, Vote.idea_id == idea.id))
