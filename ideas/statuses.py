"""A company's statuses: the list it shows, and renaming, reordering, adding and removing
statuses within the fixed categories (see `Category`).

A company starts with the built-in list (`Status`), kept as no rows at all: its first
change writes the list, then changes it, so creating a company (or a million, in the
bench generator) needs nothing from ideas. Statuses are listed by category, in the
lifecycle's order, then by the company's order within each category.

What the code needs of a list, whatever the names:
- new ideas start in the first open status, so the open category is never empty;
- publishing a changelog marks ideas with the first complete status, so that category is
  never empty either;
- merging marks the duplicate with the `duplicate` status, which cannot be removed.
Removing a status retires it (history keeps its label). Its ideas, if any, move to
another status of the same category, so nothing changes for them but the name: one
recorded event says so (their voters are not told, as nothing was decided).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events.log import record
from forum.extensions import db
from ideas import events
from ideas.models import DEFAULT_CATEGORIES, Category, Idea, IdeaStatus, Status
from ideas.policy import IdeaAction

MAX_LABEL = 40
CATEGORY_ORDER = list(Category)
CATEGORY_LABELS = {
    Category.OPEN: "Open: new ideas start in the first one; voting is open",
    Category.ACTIVE: "Active: on the roadmap; voting is open",
    Category.COMPLETE: "Complete: shipped, on the roadmap for a while; voting is closed",
    Category.CLOSED: "Closed: declined or merged; voting is closed",
}
MERGE_STATUS = Status.DUPLICATE.value
NEVER_EMPTY = {
    Category.OPEN: "New ideas start in the first open status: add another open status "
                   "before removing this one.",
    Category.COMPLETE: "Publishing a changelog marks ideas with the first complete status: "
                       "add another complete status before removing this one.",
}


def company_statuses(company_id: int, *, retired: bool = False) -> list[IdeaStatus]:
    """The company's statuses in order, in one query: its own rows, or the built-in list
    as unsaved rows. With `retired`, the removed ones too (history names them)."""
    rows = list(db.session.scalars(
        select(IdeaStatus).where(IdeaStatus.company_id == company_id)))
    if not rows:
        rows = _built_in(company_id)
    return sorted((row for row in rows if retired or row.retired_at is None), key=_order)


def _built_in(company_id: int) -> list[IdeaStatus]:
    return [IdeaStatus(company_id=company_id, key=status.value, label=status.label,
                       category=DEFAULT_CATEGORIES[status].value, position=position)
            for position, status in enumerate(Status)]


def _order(row: IdeaStatus) -> tuple[int, int]:
    return CATEGORY_ORDER.index(Category(row.category)), row.position


def labels(statuses: Sequence[IdeaStatus]) -> dict[str, str]:
    """{key: label}, for history and notices that name statuses by key."""
    return {row.key: row.label for row in statuses}


def choices(statuses: Sequence[IdeaStatus]) -> list[tuple[str, str]]:
    return [(row.key, row.label) for row in statuses if row.retired_at is None]


def first_of(statuses: Sequence[IdeaStatus], category: Category) -> IdeaStatus:
    """The first current status of `category` (open and complete always have one)."""
    return next(row for row in statuses
                if row.category == category.value and row.retired_at is None)


def status_named(statuses: Sequence[IdeaStatus], key: str) -> IdeaStatus:
    """The current status with this key, or a 400 that says to choose from the list."""
    found = next((row for row in statuses if row.key == key and row.retired_at is None), None)
    if found is None:
        raise Invalid("Choose one of the statuses in the list.", field="status")
    return found


# --- changing the list ------------------------------------------------------------------


def add_status(actor: User, company: Company, label: str, category: str) -> IdeaStatus:
    """A new status at the end of its category."""
    policy.require(actor, IdeaAction.MANAGE_STATUSES, company)
    label = _valid_label(label)
    if category not in set(Category):
        raise Invalid("Choose a category from the list.", field="category")
    with write_transaction():
        rows = _own_rows(company)
        _refuse_taken(rows, label)
        row = IdeaStatus(company_id=company.id, key=_new_key(rows, label), label=label,
                         category=category, position=max(row.position for row in rows) + 1)
        db.session.add(row)
        record(events.STATUS_CREATED, actor, row, company,
               {"key": row.key, "label": label, "category": category})
    return row


def rename_status(actor: User, company: Company, key: str, label: str) -> IdeaStatus:
    """A new label; the key, the category and every idea stay."""
    policy.require(actor, IdeaAction.MANAGE_STATUSES, company)
    label = _valid_label(label)
    with write_transaction():
        rows = _own_rows(company)
        row = _current(rows, key)
        _refuse_taken([other for other in rows if other is not row], label)
        old, row.label = row.label, label
        record(events.STATUS_RENAMED, actor, row, company,
               {"key": key, "label": [old, label]})
    return row


def move_status(actor: User, company: Company, key: str, direction: str) -> IdeaStatus:
    """One place up or down within its category (categories keep the lifecycle's order)."""
    policy.require(actor, IdeaAction.MANAGE_STATUSES, company)
    if direction not in ("up", "down"):
        raise Invalid("Move a status up or down.", field="direction")
    with write_transaction():
        rows = _own_rows(company)
        row = _current(rows, key)
        siblings = [other for other in sorted(rows, key=_order)
                    if other.category == row.category and other.retired_at is None]
        index = siblings.index(row) + (-1 if direction == "up" else 1)
        if not 0 <= index < len(siblings):
            raise Invalid(f"“{row.label}” is already the {'first' if direction == 'up' else 'last'}"
                          f" {row.category} status.", field="direction")
        other = siblings[index]
        row.position, other.position = other.position, row.position
        record(events.STATUS_MOVED, actor, row, company, {"key": key, "direction": direction})
    return row


def idea_counts(company: Company) -> dict[str, int]:
    """{key: how many of the company's ideas have it} (any idea, merged and removed ones
    too: removing the status moves them all)."""
    return {key: int(count) for key, count in db.session.execute(
        select(Idea.status, func.count()).where(Idea.company_id == company.id)
        .group_by(Idea.status))}


@dataclass(frozen=True)
class Removed:
    """What removing a status did: how many ideas moved, and where."""

    moved: int
    into: IdeaStatus | None


def remove_status(actor: User, company: Company, key: str, into: str = "") -> Removed:
    """Retire a status; its ideas, if any, move to `into`, another status of the same
    category."""
    policy.require(actor, IdeaAction.MANAGE_STATUSES, company)
    with write_transaction():
        rows = _own_rows(company)
        row = _current(rows, key)
        if key == MERGE_STATUS:
            raise Conflict(f"Merging marks ideas “{row.label}”: this status cannot be "
                           "removed, only renamed.")
        siblings = [other for other in rows if other.category == row.category
                    and other.retired_at is None and other is not row]
        if not siblings and row.category in NEVER_EMPTY:
            raise Conflict(NEVER_EMPTY[Category(row.category)])
        moved = db.session.scalars(select(Idea.thread_id).where(
            Idea.company_id == company.id, Idea.status == key)).all()
        target = _move_target(siblings, row, into) if moved else None
        if target is not None:
            db.session.execute(update(Idea).where(
                Idea.company_id == company.id, Idea.status == key)
                .values(status=target.key).execution_options(synchronize_session=False))
        row.retired_at = utcnow()
        record(events.STATUS_REMOVED, actor, row, company,
               {"key": key, "label": row.label, "into": target.key if target else None,
                "thread_ids": list(moved)})
    return Removed(len(moved), target)


def _move_target(siblings: list[IdeaStatus], row: IdeaStatus, into: str) -> IdeaStatus:
    if not siblings:
        raise Conflict(f"“{row.label}” is the only {row.category} status: add another one "
                       "for its ideas to move to first, or change their status in the "
                       "ideas inbox.")
    target = next((other for other in siblings if other.key == into), None)
    if target is None:
        raise Invalid(f"Choose the {row.category} status its ideas move to.", field="into")
    return target


def _own_rows(company: Company) -> list[IdeaStatus]:
    """The company's rows, in this write transaction, written first if it had the
    built-in list (a writer doing the same at the same time writes the same rows)."""
    rows = list(db.session.scalars(select(IdeaStatus).where(
        IdeaStatus.company_id == company.id).execution_options(populate_existing=True)))
    if rows:
        return rows
    db.session.execute(insert_ignoring_conflicts(IdeaStatus), [
        {"company_id": row.company_id, "key": row.key, "label": row.label,
         "category": row.category, "position": row.position}
        for row in _built_in(company.id)])
    return list(db.session.scalars(select(IdeaStatus).where(
        IdeaStatus.company_id == company.id)))


def _current(rows: list[IdeaStatus], key: str) -> IdeaStatus:
    found = next((row for row in rows if row.key == key and row.retired_at is None), None)
    if found is None:
        raise NotFound("There is no such status at this company.")
    return found


def _valid_label(label: str) -> str:
    label = " ".join((label or "").split())
    if not 1 <= len(label) <= MAX_LABEL or not label.isprintable():
        raise Invalid(f"Name the status in 1 to {MAX_LABEL} characters.", field="label")
    return label


def _refuse_taken(rows: list[IdeaStatus], label: str) -> None:
    if any(row.label.casefold() == label.casefold() for row in rows if row.retired_at is None):
        raise Conflict(f"There is already a status called “{label}”.", field="label")


def _new_key(rows: list[IdeaStatus], label: str) -> str:
    """A key from the label, unlike any the company ever had (ideas' history keeps keys)."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:17] or "status"
    taken = {row.key for row in rows}
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key
