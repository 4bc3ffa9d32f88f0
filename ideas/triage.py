"""The product team's inbox: what came in, the views the team picks, and bulk actions.

An idea is untriaged until a team member changes its status, tags it or marks it seen
(the services set `triaged_at`). A bulk action is one transaction over the selected
ideas, all of the company's: all of it happens or none of it, and it says what it did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company, Membership, Role
from forum.database import utcnow, write_transaction
from forum.errors import Invalid, NotFound
from forum.events.log import record
from forum.extensions import db
from forum.pagination import Page, clamp_page, paginate
from forum.threads.models import Thread
from ideas import events, merging, services
from ideas.models import CLOSED_CATEGORIES, Customer, Idea, IdeaTag, Vote
from ideas.policy import IdeaAction
from ideas.statuses import company_statuses, status_named

PER_PAGE = 50
UNANSWERED_DAYS = 7
MAX_SELECTION = 500
COUNT_CAP = 1000  # "1,000+ untriaged": beyond it the exact figure changes nothing
VIEWS = {
    "new": "New and untriaged first",
    "votes": "Most votes",
    "priority": "Highest priority",
    "trending": "Trending",
    "newest": "Newest",
    "unanswered": "Oldest without an answer",
}
ORDERS = {
    "new": (Idea.triaged_at.is_not(None), Idea.created_at.desc(), Idea.id.desc()),
    "votes": (Idea.vote_count.desc(), Idea.id.desc()),
    "priority": (Idea.priority_score.desc(), Idea.id.desc()),
    "trending": (Idea.trend_score.desc(), Idea.id.desc()),
    "newest": (Idea.created_at.desc(), Idea.id.desc()),
    "unanswered": (Idea.created_at, Idea.id),
}
NOBODY = "none"  # the owner filter for ideas nobody owns
_IN_PLAY = Idea.status_category.not_in([category.value for category in CLOSED_CATEGORIES])


@dataclass(frozen=True)
class View:
    """What the inbox shows: one view, filters, a page."""

    view: str = "new"
    status: str = ""
    tag_id: int | None = None
    owner: str = ""  # "", NOBODY or a user id
    segment_id: int | None = None  # ideas with a vote from a customer in this segment
    query: str = ""
    page: int = 1

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise Invalid(f"There is no view called “{self.view}”.", field="view")
        if self.owner and self.owner != NOBODY and not self.owner.isdigit():
            raise Invalid("Choose an owner from the list.", field="owner")


def inbox(actor: User, company: Company, view: View) -> Page:
    """One page of the company's ideas as the view shows them (merged and removed ones
    never): one statement for the page, one for its tags (twice where the new view's
    untriaged ideas end on the page)."""
    policy.require(actor, IdeaAction.TRIAGE, company)
    statement = in_view(select(Idea), company, view).options(
        contains_eager(Idea.thread).joinedload(Thread.author), joinedload(Idea.owner),
        selectinload(Idea.tags))
    if view.view == "new":
        return _new_first(statement, view.page)
    return paginate(statement, view.page, PER_PAGE)


def _new_first(statement: Select[Any], number: int) -> Page:
    """The new view's page as two reads that each follow an index, untriaged ideas then
    the others, newest first in each: not one sort of every idea of the company."""
    number = clamp_page(number)
    start, wanted = (number - 1) * PER_PAGE, PER_PAGE + 1
    newest = (Idea.created_at.desc(), Idea.id.desc())
    untriaged = statement.where(Idea.triaged_at.is_(None)).order_by(None).order_by(*newest)
    rows = list(db.session.scalars(untriaged.limit(wanted).offset(start)).unique())
    if len(rows) < wanted:
        if rows or start == 0:
            before = start + len(rows)
        else:  # a page past the untriaged ones: how many there are says where it starts
            before = db.session.scalar(select(func.count()).select_from(
                untriaged.order_by(None).with_only_columns(Idea.id).subquery())) or 0
        triaged = statement.where(Idea.triaged_at.is_not(None)).order_by(None).order_by(*newest)
        rows += db.session.scalars(triaged.limit(wanted - len(rows))
                                   .offset(max(0, start - before))).unique()
    return Page(rows[:PER_PAGE], number, len(rows) > PER_PAGE)


def in_view(statement: Select[Any], company: Company, view: View) -> Select[Any]:
    """`statement` (over ideas joined to their threads) narrowed and ordered as `view`
    shows them: the inbox's page and the CSV export read the same rows."""
    if view.status and view.status not in {row.key for row in company_statuses(company.id)}:
        raise Invalid(f"There is no status called “{view.status}”.", field="status")
    statement = statement.join(Idea.thread).where(
        Idea.company_id == company.id, Idea.merged_into_id.is_(None),
        Thread.hidden_at.is_(None))
    if view.status:
        statement = statement.where(Idea.status == view.status)
    if view.tag_id is not None:
        statement = statement.where(Idea.id.in_(
            select(IdeaTag.idea_id).where(IdeaTag.tag_id == view.tag_id)))
    if view.owner == NOBODY:
        statement = statement.where(Idea.owner_id.is_(None))
    elif view.owner:
        statement = statement.where(Idea.owner_id == int(view.owner))
    if view.segment_id is not None:
        statement = statement.where(Idea.id.in_(
            select(Vote.idea_id).join(Customer, and_(Customer.user_id == Vote.user_id,
                                                     Customer.company_id == company.id))
            .where(Customer.segment_id == view.segment_id)))
    if view.query.strip():
        words = view.query.strip().lower()[:100]
        statement = statement.where(func.lower(Thread.title).contains(words, autoescape=True))
    if view.view == "unanswered":
        statement = statement.where(Thread.answered_at.is_(None),
                                    _IN_PLAY)
    return statement.order_by(*ORDERS[view.view])


@dataclass(frozen=True)
class Awaiting:
    """What waits for the team, for the company's manage page: each count stops at
    COUNT_CAP, so that it costs the same for a company with 200,000 ideas."""

    untriaged: int
    unanswered: int  # open ideas older than UNANSWERED_DAYS without an official answer

    @staticmethod
    def shown(count: int) -> str:
        return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


def awaiting(company: Company) -> Awaiting:
    since = utcnow() - timedelta(days=UNANSWERED_DAYS)
    live = select(Idea.id).join(Idea.thread).where(
        Idea.company_id == company.id, Idea.merged_into_id.is_(None), Thread.hidden_at.is_(None))

    def capped(statement: Select[Any]) -> Any:
        return select(func.count()).select_from(statement.limit(COUNT_CAP + 1).subquery()) \
            .scalar_subquery()

    untriaged, unanswered = db.session.execute(select(
        capped(live.where(Idea.triaged_at.is_(None))),
        capped(live.where(Thread.answered_at.is_(None), Idea.created_at < since,
                          _IN_PLAY)))).one()
    return Awaiting(int(untriaged), int(unanswered))


def manage_section(company: Company) -> tuple[str, dict[str, object]]:
    """The counts on the company's manage page, each a link into the inbox."""
    return "ideas/_manage_awaiting.html", {"company": company, "awaiting": awaiting(company)}


def team_members(company: Company) -> list[User]:
    """Who may own an idea: the company's team members and owners."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == company.id,
               Membership.role.in_([Role.TEAM.value, Role.OWNER.value]))
        .order_by(func.lower(User.username))))


ACTIONS = {
    "status": "Change status",
    "add_tag": "Add a tag",
    "remove_tag": "Remove a tag",
    "assign": "Give an owner",
    "merge": "Merge into one",
    "seen": "Mark seen",
}


@dataclass(frozen=True)
class Bulk:
    """A bulk action on ideas by thread id, with what it needs."""

    action: str
    thread_ids: Sequence[int]
    status: str = ""
    note: str = ""
    tag_id: int | None = None
    owner: str = ""  # NOBODY or a user id
    into_thread_id: int | None = None


def apply(actor: User, company: Company, bulk: Bulk) -> str:
    """Do one bulk action to the selected ideas in one transaction; what it did."""
    policy.require(actor, IdeaAction.TRIAGE, company)
    if bulk.action not in ACTIONS:
        raise Invalid("Choose what to do with the selected ideas.", field="action")
    ideas = _selected(company, bulk.thread_ids)
    with write_transaction():
        match bulk.action:
            case "status":
                return _status(actor, ideas, bulk.status, bulk.note)
            case "add_tag" | "remove_tag":
                return _tag(actor, company, ideas, bulk.tag_id, bulk.action == "add_tag")
            case "assign":
                return _assign(actor, company, ideas, bulk.owner)
            case "merge":
                return _merge(actor, company, ideas, bulk.into_thread_id, bulk.note)
            case _:
                return _seen(actor, ideas)


def _selected(company: Company, thread_ids: Sequence[int]) -> list[Idea]:
    """The selected ideas, all of this company's, or a 404 that changes nothing."""
    wanted = list(dict.fromkeys(thread_ids))
    if not wanted:
        raise Invalid("Select at least one idea.", field="ideas")
    if len(wanted) > MAX_SELECTION:
        raise Invalid(f"Select at most {MAX_SELECTION} ideas at once.", field="ideas")
    found = {idea.thread_id: idea for idea in db.session.scalars(
        select(Idea).where(Idea.thread_id.in_(wanted), Idea.company_id == company.id)
        .options(joinedload(Idea.thread), selectinload(Idea.tags)))}
    if len(found) != len(wanted):
        raise NotFound("Some of the selected ideas are not this company's: nothing was "
                       "changed.")
    return [found[thread_id] for thread_id in wanted]


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def _status(actor: User, ideas: list[Idea], status: str, note: str) -> str:
    """One note for all: each idea gets it as its own official status change (its voters
    hear of it once, from the notifier). Ideas already there without a note are left."""
    new = status_named(company_statuses(ideas[0].company_id), status)
    changed = [idea for idea in ideas if idea.status != new.key or note.strip()]
    for idea in changed:
        services.change_status(actor, idea, new.key, note)
    already, label = len(ideas) - len(changed), new.label.lower()
    said = f"{_count(len(changed), 'idea')} now {label}"
    return said + (f"; {already} already {label}, left as is." if already else ".")


def _tag(actor: User, company: Company, ideas: list[Idea], tag_id: int | None,
         add: bool) -> str:
    tag = next((tag for tag in services.company_tags(company) if tag.id == tag_id), None)
    if tag is None:
        raise Invalid("Choose one of the company's tags.", field="tag")
    changed = 0
    for idea in ideas:
        current = {existing.id for existing in idea.tags}
        wanted = current | {tag.id} if add else current - {tag.id}
        if wanted != current:
            services.set_idea_tags(actor, idea, sorted(wanted))
            changed += 1
    said = f"{_count(changed, 'idea')} {'tagged' if add else 'untagged'} “{tag.name}”"
    unchanged = len(ideas) - changed
    return said + (f"; {unchanged} left as {'they were' if unchanged > 1 else 'it was'}."
                   if unchanged else ".")


def _assign(actor: User, company: Company, ideas: list[Idea], owner: str) -> str:
    if owner == NOBODY:
        person = None
    else:
        person = next((member for member in team_members(company)
                       if str(member.id) == owner), None)
        if person is None:
            raise Invalid("Choose a member of the team as the owner.", field="owner")
    now = utcnow()
    for idea in ideas:
        idea.owner_id = person.id if person else None
        idea.triaged_at = idea.triaged_at or now
        record(events.IDEA_ASSIGNED, actor, idea, company,
               {"owner": person.username if person else None})
    return (f"{_count(len(ideas), 'idea')} now owned by {person.name}." if person
            else f"{_count(len(ideas), 'idea')} now owned by nobody.")


def _merge(actor: User, company: Company, ideas: list[Idea], into_thread_id: int | None,
           note: str) -> str:
    into = next((idea for idea in ideas if idea.thread_id == into_thread_id), None)
    if into is None:
        raise Invalid("Choose which of the selected ideas the others merge into.",
                      field="into")
    others = [idea for idea in ideas if idea is not into]
    if not others:
        raise Invalid("Select the ideas to merge as well as the one they merge into.",
                      field="ideas")
    for idea in others:
        merging.merge_ideas(actor, idea, into, note)
    return f"{_count(len(others), 'idea')} merged into “{into.thread.title}”."


def _seen(actor: User, ideas: list[Idea]) -> str:
    now, marked = utcnow(), 0
    for idea in ideas:
        if idea.triaged_at is None:
            idea.triaged_at = now
            record(events.IDEA_SEEN, actor, idea, idea.company_id)
            marked += 1
    return f"{_count(marked, 'idea')} marked seen."
