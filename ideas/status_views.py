"""A company's statuses at /c/<slug>/manage/statuses: add, rename, reorder, remove.

A nested blueprint of ideas.views (endpoints `ideas.statuses.*`). Every action is a plain
form POST and a redirect back to the list with what was done; moving up and down swaps
the list in place with htmx.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum.companies.models import Company
from forum.companies.services import managed_company
from forum.errors import NotFound
from forum.forms import form_round_trip, redirect_with_message
from forum.web import wants_fragment
from ideas import statuses
from ideas.forms import NewStatusForm, RemoveStatusForm, RenameStatusForm
from ideas.models import IdeaStatus
from ideas.policy import IdeaAction

bp = Blueprint("statuses", __name__)


def _list_url(company: Company) -> str:
    return url_for("ideas.statuses.manage_statuses", slug=company.slug)


def _status(company: Company, key: str) -> IdeaStatus:
    found = next((row for row in statuses.company_statuses(company.id) if row.key == key), None)
    if found is None:
        raise NotFound("There is no such status at this company.")
    return found


@bp.route("/c/<slug>/manage/statuses", methods=["GET", "POST"])
@login_required
def manage_statuses(slug: str) -> ResponseReturnValue:
    """The company's statuses by category, and a form to add one."""
    company = managed_company(current_user, slug, IdeaAction.MANAGE_STATUSES)
    form = NewStatusForm()
    return form_round_trip(
        form, "ideas/manage_statuses.html",
        lambda: statuses.add_status(current_user, company, form.label.data,
                                    form.category.data),
        lambda row: redirect_with_message(_list_url(company),
                                          f"Status “{row.label}” added ({row.category})."),
        **_list(company))


@bp.route("/c/<slug>/manage/statuses/<key>/rename", methods=["GET", "POST"])
@login_required
def rename_status(slug: str, key: str) -> ResponseReturnValue:
    """A new name for a status: everything that shows it shows the new one."""
    company = managed_company(current_user, slug, IdeaAction.MANAGE_STATUSES)
    status = _status(company, key)
    form = RenameStatusForm(data=None if request.method == "POST" else {"label": status.label})
    return form_round_trip(
        form, "ideas/status_rename.html",
        lambda: statuses.rename_status(current_user, company, key, form.label.data),
        lambda row: redirect_with_message(_list_url(company), f"Renamed to “{row.label}”."),
        company=company, status=status)


@bp.post("/c/<slug>/manage/statuses/<key>/move")
@login_required
def move_status(slug: str, key: str) -> str | Response:
    """One place up or down within its category: the list swapped in place with htmx, the
    same button keeping the focus; without JS, a redirect back to the list."""
    company = managed_company(current_user, slug, IdeaAction.MANAGE_STATUSES)
    direction = request.form.get("direction", "")
    row = statuses.move_status(current_user, company, key, direction)
    said = f"“{row.label}” moved {direction}."
    if wants_fragment():
        return render_template("ideas/_status_list.html", said=said, moved=(key, direction),
                               **_list(company))
    return redirect_with_message(f"{_list_url(company)}#status-{row.key}", said)


def _list(company: Company) -> dict[str, object]:
    """What the list of statuses shows (the page and its fragment)."""
    return {"company": company, "listed": statuses.company_statuses(company.id),
            "counts": statuses.idea_counts(company), "categories": statuses.CATEGORY_LABELS}


@bp.route("/c/<slug>/manage/statuses/<key>/remove", methods=["GET", "POST"])
@login_required
def remove_status(slug: str, key: str) -> ResponseReturnValue:
    """Ask, then retire a status; its ideas move to another of the same category."""
    company = managed_company(current_user, slug, IdeaAction.MANAGE_STATUSES)
    status = _status(company, key)
    form = RemoveStatusForm()
    targets = [row for row in statuses.company_statuses(company.id)
               if row.category == status.category and row.key != key]
    form.into.choices = [(row.key, row.label) for row in targets]
    return form_round_trip(
        form, "ideas/status_remove.html",
        lambda: statuses.remove_status(current_user, company, key, form.into.data or ""),
        lambda done: redirect_with_message(_list_url(company), _removed(status, done)),
        company=company, status=status, targets=targets,
        ideas=statuses.idea_counts(company).get(key, 0))


def _removed(status: IdeaStatus, done: statuses.Removed) -> str:
    said = f"Status “{status.label}” removed."
    if done.into is not None:
        said += (f" Its {done.moved:,} idea{'' if done.moved == 1 else 's'} moved to "
                 f"“{done.into.label}”.")
    return said
