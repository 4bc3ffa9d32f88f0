"""The search pages: /search and /c/<slug>/search, as a plain GET form and as htmx."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from forum.companies.models import Company
from forum.errors import Invalid
from forum.search import services
from forum.search.documents import status_choices
from forum.search.params import SearchForm, read_form, run_search
from forum.search.runtime import init_app, start_indexer_on_first_request
from forum.web import wants_fragment

bp = Blueprint("search", __name__)
bp.record_once(lambda state: init_app(state.app))
bp.before_app_request(start_indexer_on_first_request)


@bp.get("/search")
def search() -> tuple[str, int, dict[str, str]]:
    """Search every company."""
    return _answer(None)


@bp.get("/c/<slug>/search")
def company_search(slug: str) -> tuple[str, int, dict[str, str]]:
    """Search one company's threads and ideas."""
    company = services.company_by_slug(slug, current_user)
    if company is None:
        abort(404)
    return _answer(company)


def _answer(company: Company | None) -> tuple[str, int, dict[str, str]]:
    form = read_form(request.args, company_id=company.id if company is not None else None)
    company_id = company.id if company is not None else _company_id(form)
    results, status = None, 200
    if not form.errors and (form.q.strip() or form.filtered):
        try:
            results = run_search(form, company_id, current_user)
        except services.SearchUnavailable:
            return _unavailable(company)
        except Invalid as error:
            form.errors[error.field or "q"] = error.message
    if form.errors:
        status = 422
    fragment = wants_fragment()
    statuses = status_choices(company.id if company is not None else None)
    link = _linker(form, company)
    page = render_template(
        "search/_results.html" if fragment else "search/search.html",
        form=form, results=results, company=company, link=link,
        companies=[] if company is not None else services.company_choices(current_user),
        kinds=services.kind_choices(), statuses=statuses, status_labels=dict(statuses),
        sorts=_SORT_LABELS)
    # The address bar shows the search without the form's empty fields.
    return page, status, {"HX-Push-Url": link(page=form.page)} if fragment else {}


def _linker(form: SearchForm, company: Company | None) -> Callable[..., str]:
    """`link(page=2)`: this search's URL with some arguments changed, for the templates."""
    def link(**changes: object) -> str:
        if company is not None:
            return url_for("search.company_search", slug=company.slug, **form.args(**changes))
        return url_for("search.search", **form.args(**changes))

    return link


def _company_id(form: SearchForm) -> int | None:
    if not form.company:
        return None
    company = services.company_by_slug(form.company, current_user)
    if company is None:
        form.errors["company"] = "There is no company with that address."
        return None
    return company.id


def _unavailable(company: Company | None) -> tuple[str, int, dict[str, str]]:
    """503 inside the layout (or as a message for htmx): the index is being rebuilt."""
    template = "search/_unavailable.html" if wants_fragment() else "search/unavailable.html"
    return render_template(template, company=company), 503, {"Retry-After": "30"}


_SORT_LABELS = [("relevance", "Best match"), ("newest", "Newest"), ("votes", "Most votes")]
