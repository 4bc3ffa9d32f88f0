"""Pages of a list: one query fetches a page and one row more, to know if there is a next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

from forum.extensions import db

MAX_PAGE = 400  # deeper than this, people filter or search instead


@dataclass(frozen=True)
class Page:
    """One page of a list, and whether there are more."""

    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def clamp_page(page: int) -> int:
    return max(1, min(page, MAX_PAGE))


def paginate(statement: Select, page: int, per_page: int) -> Page:
    """Page `page` of what `statement` selects (ordered by the caller)."""
    page = clamp_page(page)
    rows = list(db.session.scalars(
        statement.limit(per_page + 1).offset((page - 1) * per_page)).unique())
    return Page(rows[:per_page], page, len(rows) > per_page)
