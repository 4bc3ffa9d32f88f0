"""The search form: query-string arguments read, checked, and written back into links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from forum.search.documents import status_choices
from forum.search.services import MAX_PAGE, SORTS, SearchResults, kind_choices, search

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_STATUS_RE = re.compile(r"^[a-z_]{1,20}$")
_PAGE_RE = re.compile(r"^[0-9]{1,4}$")
MAX_ARG = 200


@dataclass
class SearchForm:
    """What the form submitted, as text (to show back), plus the parsed values and errors."""

    q: str = ""
    company: str = ""
    kind: str = ""
    status: str = ""
    tag: str = ""
    author: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    page: str = "1"
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def page_number(self) -> int:
        return int(self.page) if _PAGE_RE.match(self.page) else 1

    @property
    def start(self) -> date | None:
        return _date(self.date_from)

    @property
    def end(self) -> date | None:
        return _date(self.date_to)

    @property
    def filtered(self) -> bool:
        return any((self.company, self.kind, self.status, self.tag, self.author,
                    self.date_from, self.date_to))

    def args(self, **changes: Any) -> dict[str, str]:
        """Query-string arguments for a link to this search with `changes` (empty ones left out)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)
                  if item.name != "errors"}
        values.update({key: str(value) for key, value in changes.items()})
        if values.get("sort") == "relevance":
            values.pop("sort")
        if values.get("page") == "1":
            values.pop("page")
        return {key: value for key, value in values.items() if value}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _clean(value: str | None) -> str:
    return _CONTROL_RE.sub("", value or "").strip()[:MAX_ARG]


def read_form(args: MultiDict[str, str], *, company_id: int | None = None) -> SearchForm:
    """The form from the query string, searching one company or all; `errors` says what
    is wrong, field by field."""
    form = SearchForm(**{
        name: _clean(args.get(name)) for name in (
            "q", "company", "kind", "status", "tag", "author", "date_from", "date_to")
    })
    form.q = (args.get("q") or "")[:2_000]  # the search code caps and cleans it, with a notice
    form.sort = _clean(args.get("sort")) or "relevance"
    form.page = _clean(args.get("page")) or "1"
    if company_id is not None:
        form.company = ""
    _validate(form, company_id)
    return form


def run_search(form: SearchForm, company_id: int | None, viewer: Any,
               per_page: int = 20) -> SearchResults:
    """The search a valid form describes, of what `viewer` may see (the pages' and the
    API's)."""
    return search(form.q, viewer=viewer, company_id=company_id, kind=form.kind or None,
                  status=form.status or None, tag=form.tag or None,
                  author=form.author or None, date_from=form.start, date_to=form.end,
                  sort=form.sort, page=form.page_number, per_page=per_page)


def _validate(form: SearchForm, company_id: int | None) -> None:
    errors = form.errors
    if form.kind and form.kind not in dict(kind_choices()):
        errors["kind"] = "Choose a kind from the list."
    statuses = dict(status_choices(company_id))
    if form.status and not (form.status in statuses if statuses
                            else _STATUS_RE.match(form.status)):
        errors["status"] = "Choose a status from the list."
    if form.sort not in SORTS:
        errors["sort"] = "Sort by relevance, newest or most votes."
    if not _PAGE_RE.match(form.page) or not 1 <= int(form.page) <= MAX_PAGE:
        errors["page"] = f"Pages go from 1 to {MAX_PAGE}; refine the search to see more."
    for name in ("date_from", "date_to"):
        if getattr(form, name) and _date(getattr(form, name)) is None:
            errors[name] = "Enter a date as YYYY-MM-DD."
    if form.start and form.end and form.start > form.end:
        errors["date_to"] = "The end date comes before the start date."
    if len(form.tag) > 40:
        errors["tag"] = "Tags are at most 40 characters."
    if len(form.author) > 30:
        errors["author"] = "Usernames are at most 30 characters."
