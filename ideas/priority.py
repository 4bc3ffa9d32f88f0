"""Prioritisation by who is asking: each vote's importance, the team's impact and effort,
the weights of customer segments (ideas.segments places customers in them), and the
priority score they give each idea.

    priority = sum over the idea's votes of (segment weight * importance weight)
               * impact / effort            (impact and effort from 1 to 5; unset: 3)

The company tunes the weights on its priority page, which shows this formula. Each
idea's score is stored (the inbox sorts by it with an index) and recomputed from its
votes, in SQL, whenever something it depends on changes: a vote, its importance, the
idea's estimates, a customer's segment, a weight. The recomputation runs after the vote
counter's UPDATE has locked the idea's row, so under concurrent votes each one reads the
votes committed before it: the last one to commit counts them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.extensions import db
from ideas.models import Customer, Idea, Importance, PriorityWeights, Segment, Vote
from ideas.policy import IdeaAction

ESTIMATES = range(1, 6)
UNSET_ESTIMATE = 3
DEFAULT_WEIGHTS = {"unsegmented": 1.0, "not_said": 1.0, "nice_to_have": 1.0,
                   "important": 2.0, "critical": 4.0}
MAX_WEIGHT = 1000.0
NO_SEGMENT, NOT_SAID = "No segment", "Not said"


# The score ---------------------------------------------------------------------------

def _setting(column: Any, name: str) -> ColumnElement[float]:
    return func.coalesce(column, DEFAULT_WEIGHTS[name])


def score() -> ColumnElement[float]:
    """The priority formula as SQL over the idea being updated."""
    weights = PriorityWeights
    importance = case(
        (Vote.importance == Importance.NICE_TO_HAVE, _setting(weights.nice_to_have,
                                                              "nice_to_have")),
        (Vote.importance == Importance.IMPORTANT, _setting(weights.important, "important")),
        (Vote.importance == Importance.CRITICAL, _setting(weights.critical, "critical")),
        else_=_setting(weights.not_said, "not_said"))
    segment = func.coalesce(Segment.weight, _setting(weights.unsegmented, "unsegmented"))
    demand = (
        select(func.coalesce(func.sum(segment * importance), 0.0)).select_from(Vote)
        .outerjoin(Customer, and_(Customer.company_id == Idea.company_id,
                                  Customer.user_id == Vote.user_id))
        .outerjoin(Segment, Segment.id == Customer.segment_id)
        .outerjoin(weights, weights.company_id == Idea.company_id)
        .where(Vote.idea_id == Idea.id).correlate(Idea).scalar_subquery())
    return (demand * func.coalesce(Idea.impact, UNSET_ESTIMATE)
            / func.coalesce(Idea.effort, UNSET_ESTIMATE))


def refresh(*conditions: ColumnElement[bool], idea: Idea | None = None) -> None:
    """Recompute the scores of the ideas `conditions` select (or of `idea`, which takes
    its new score without being read again)."""
    statement = update(Idea).values(priority_score=score())
    if idea is not None:
        new = db.session.execute(statement.where(Idea.id == idea.id)
                                 .returning(Idea.priority_score)).scalar_one()
        set_committed_value(idea, "priority_score", new)
    else:
        db.session.execute(statement.where(*conditions),
                           execution_options={"synchronize_session": False})


def refresh_company(company: Company) -> None:
    """Recompute the scores of all the company's ideas (a weight or a segment changed)."""
    refresh(Idea.company_id == company.id)


# The weights -------------------------------------------------------------------------

def weights_of(company: Company) -> PriorityWeights:
    """The company's weights (the defaults, unsaved, when it never tuned them)."""
    found = db.session.get(PriorityWeights, company.id)
    return found or PriorityWeights(company_id=company.id, **DEFAULT_WEIGHTS)


def checked_weight(value: float | None, field_name: str, label: str) -> float:
    """A weight as given, if it is one from 0 to MAX_WEIGHT (the form says which field)."""
    if value is None or not 0 <= value <= MAX_WEIGHT:
        raise Invalid(f"{label} must be a number from 0 to {MAX_WEIGHT:,.0f}.", field=field_name)
    return float(value)


def set_weights(actor: User, company: Company, **values: float | None) -> None:
    """Tune the weights, and every idea's score follows."""
    policy.require(actor, IdeaAction.PRIORITISE, company)
    labels = {"unsegmented": "A customer in no segment", "not_said": "A vote that says no "
              "importance", "nice_to_have": "Nice to have", "important": "Important",
              "critical": "Critical"}
    checked = {name: checked_weight(values.get(name), name, labels[name])
               for name in DEFAULT_WEIGHTS}
    with write_transaction():
        row = db.session.get(PriorityWeights, company.id)
        if row is None:
            row = PriorityWeights(company_id=company.id)
            db.session.add(row)
        for name, value in checked.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        db.session.flush()
        refresh_company(company)


# Estimates, importance, and what an idea's score is made of ------------------------------

def _estimate(value: int | None, field_name: str) -> int | None:
    if value is not None and value not in ESTIMATES:
        raise Invalid("Estimates go from 1 to 5.", field=field_name)
    return value


def set_estimates(actor: User, idea: Idea, impact: int | None, effort: int | None) -> None:
    """The team's impact and effort for one idea (None: not estimated)."""
    policy.require(actor, IdeaAction.PRIORITISE, idea.company)
    idea.impact, idea.effort = _estimate(impact, "impact"), _estimate(effort, "effort")
    with write_transaction(keep_loaded=True):
        db.session.flush()
        refresh(idea=idea)


def set_importance(user: User, idea: Idea, importance: int | None) -> None:
    """How much the idea matters to a voter (None: they do not say)."""
    policy.require(user, IdeaAction.VOTE, idea)
    if importance is not None and importance not in {level.value for level in Importance}:
        raise Invalid("Choose how important this is from the list.", field="importance")
    with write_transaction(keep_loaded=True):
        changed = db.session.execute(
            update(Vote).where(Vote.user_id == user.id, Vote.idea_id == idea.id)
            .values(importance=importance)).rowcount
        if not changed:
            raise Conflict("Vote for the idea first: the importance goes with your vote.")
        refresh(idea=idea)


def importance_of(user: Any, idea: Idea) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Vote.importance).where(
        Vote.user_id == user.id, Vote.idea_id == idea.id))


@dataclass(frozen=True)
class Breakdown:
    """Who is asking for one idea: votes per segment and per importance."""

    by_segment: list[tuple[str, int]]
    by_importance: list[tuple[str, int]]


def breakdown(idea: Idea) -> Breakdown:
    rows = db.session.execute(
        select(Segment.name, Vote.importance, func.count())
        .select_from(Vote)
        .outerjoin(Customer, and_(Customer.company_id == idea.company_id,
                                  Customer.user_id == Vote.user_id))
        .outerjoin(Segment, Segment.id == Customer.segment_id)
        .where(Vote.idea_id == idea.id).group_by(Segment.name, Vote.importance)).all()
    segments_seen: dict[str, int] = {}
    importance: dict[str, int] = {}
    for name, level, count in rows:
        segments_seen[name or NO_SEGMENT] = segments_seen.get(name or NO_SEGMENT, 0) + count
        label = Importance(level).label if level else NOT_SAID
        importance[label] = importance.get(label, 0) + count
    return Breakdown(_most_first(segments_seen, NO_SEGMENT), _most_first(importance, NOT_SAID))


def _most_first(counts: dict[str, int], rest: str) -> list[tuple[str, int]]:
    """Largest count first; `rest` ("No segment") after the named ones it ties with."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] == rest, item[0]))
