"""The team's priority page at /c/<slug>/manage/priority (segments, weights, customers,
the formula), and each idea's estimates and each voter's importance.

A nested blueprint of ideas.views (endpoints `ideas.priority.*`). A form the service
refuses comes back on the page with its message beside it and a 4xx status; nothing of
it is saved.
"""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum.companies.models import Company
from forum.companies.services import get_company, managed_company
from forum.errors import DomainError, Invalid, NotFound
from forum.forms import redirect_with_message
from forum.routing import parse_id
from forum.threads.queries import get_thread
from forum.threads.views import thread_url
from forum.web import wants_fragment
from ideas import priority, segments, services
from ideas.models import Importance
from ideas.policy import IdeaAction

bp = Blueprint("priority", __name__)
WEIGHT_LABELS = {
    "unsegmented": "A customer in no segment",
    "not_said": "Importance not said",
    "nice_to_have": "Nice to have",
    "important": "Important",
    "critical": "Critical",
}


def _number(name: str, label: str, *, required: bool = True) -> float | None:
    text = request.form.get(name, "").strip().replace(",", "")
    if not text:
        if required:
            raise Invalid(f"{label}: give a number.", field=name)
        return None
    try:
        value = float(text)
    except ValueError:
        raise Invalid(f"{label}: “{text[:40]}” is not a number.", field=name) from None
    if not math.isfinite(value):
        raise Invalid(f"{label}: give an ordinary number.", field=name)
    return value


def _optional_id(name: str, message: str) -> int | None:
    text = request.form.get(name, "")
    if not text:
        return None
    try:
        return parse_id(text)
    except ValueError:
        raise Invalid(message, field=name) from None


def _page(company: Company, error: DomainError | None = None, form: str = "",
          segment_id: int | None = None) -> tuple[str, int]:
    """The priority page; after a refusal, with the message in the form it came from and
    what was typed kept."""
    context = {"company": company, "segments": segments.segments(company),
               "weights": priority.weights_of(company), "labels": WEIGHT_LABELS,
               "error": error, "failed": form, "failed_segment": segment_id,
               "typed": request.form if error else {}}
    return (render_template("ideas/manage_priority.html", **context),
            error.status if error else 200)


@bp.get("/c/<slug>/manage/priority")
@login_required
def page(slug: str) -> tuple[str, int]:
    """Segments and weights, the formula they make, and the customers in each segment."""
    return _page(managed_company(current_user, slug, IdeaAction.PRIORITISE))


def _back(company: Company, message: str) -> Response:
    return redirect_with_message(url_for("ideas.priority.page", slug=company.slug), message)


@bp.post("/c/<slug>/manage/priority/weights")
@login_required
def weights(slug: str) -> Response | tuple[str, int]:
    company = managed_company(current_user, slug, IdeaAction.PRIORITISE)
    try:
        values = {name: _number(name, label) for name, label in WEIGHT_LABELS.items()}
        priority.set_weights(current_user, company, **values)
    except DomainError as error:
        return _page(company, error, "weights")
    return _back(company, "Weights saved; every idea's priority score follows them.")


@bp.post("/c/<slug>/manage/priority/segments")
@bp.post("/c/<slug>/manage/priority/segments/<int:segment_id>")
@login_required
def save_segment(slug: str, segment_id: int | None = None) -> Response | tuple[str, int]:
    """Add a segment, or change one."""
    company = managed_company(current_user, slug, IdeaAction.PRIORITISE)
    form = request.form
    try:
        segment = segments.save_segment(
            current_user, company, name=form.get("name", ""),
            weight=_number("weight", "Weight"), domains=form.get("domains", ""),
            min_value=_number("min_value", "Value from", required=False),
            segment_id=segment_id)
    except DomainError as error:
        return _page(company, error, "segment", segment_id)
    return _back(company, f"Segment “{segment.name}” saved.")


@bp.post("/c/<slug>/manage/priority/segments/<int:segment_id>/delete")
@login_required
def delete_segment(slug: str, segment_id: int) -> Response:
    company = managed_company(current_user, slug, IdeaAction.PRIORITISE)
    name = segments.delete_segment(current_user, company, segment_id)
    return _back(company, f"Segment “{name}” removed; its customers are in no segment "
                 "unless a rule places them.")


@bp.get("/c/<slug>/manage/priority/segments/<int:segment_id>/customers")
@login_required
def segment(slug: str, segment_id: int) -> str:
    """Who is in one segment."""
    company = managed_company(current_user, slug, IdeaAction.PRIORITISE)
    found = next((row for row in segments.segments(company) if row.segment.id == segment_id),
                 None)
    if found is None:
        raise NotFound("There is no such segment.")
    return render_template("ideas/manage_segment.html", company=company, row=found,
                           members=segments.members(company, segment_id))


@bp.post("/c/<slug>/manage/priority/assign")
@login_required
def assign(slug: str) -> Response | tuple[str, int]:
    """Put one customer in a segment by hand."""
    company = managed_company(current_user, slug, IdeaAction.PRIORITISE)
    try:
        segment_id = _optional_id("segment", "Choose a segment from the list.")
        done = segments.assign(current_user, company, request.form.get("customer", ""),
                               segment_id)
    except DomainError as error:
        return _page(company, error, "assign")
    return _back(company, done)


@bp.post("/c/<slug>/manage/priority/import")
@login_required
def import_customers(slug: str) -> Response | tuple[str, int]:
    """Segments and values for many customers from a CSV file."""
    company = managed_company(current_user, slug, IdeaAction.PRIORITISE)
    upload = request.files.get("file")
    try:
        done = segments.import_customers(current_user, company,
                                         upload.read() if upload else b"")
    except DomainError as error:
        return _page(company, error, "import")
    return _back(company, done.summary())


@bp.post("/c/<slug>/ideas/<int:thread_id>/estimates")
@login_required
def estimates(slug: str, thread_id: int) -> Response:
    """The team's impact and effort for one idea."""
    company = get_company(slug)
    get_thread(current_user, company, thread_id)
    idea = services.get_idea(company, thread_id)
    values = []
    for name in ("impact", "effort"):
        text = request.form.get(name, "")
        if text and (not text.isdigit() or int(text) not in priority.ESTIMATES):
            raise Invalid("Estimates go from 1 to 5.", field=name)
        values.append(int(text) if text else None)
    priority.set_estimates(current_user, idea, *values)
    return redirect_with_message(thread_url(idea.thread),
                                 f"Estimates saved: priority score {idea.priority_score:g}.")


@bp.post("/c/<slug>/ideas/<int:thread_id>/importance")
@login_required
def importance(slug: str, thread_id: int) -> Response | str:
    """How much the idea matters to the voter."""
    company = get_company(slug)
    get_thread(current_user, company, thread_id)
    idea = services.get_idea(company, thread_id)
    text = request.form.get("importance", "")
    if text and (not text.isdigit() or int(text) not in {level.value for level in Importance}):
        raise Invalid("Choose how important this is from the list.", field="importance")
    priority.set_importance(current_user, idea, int(text) if text else None)
    if wants_fragment():
        return render_template("ideas/_importance.html", idea=idea,
                               importance=int(text) if text else None, saved=True,
                               importance_levels=list(Importance))
    return redirect(thread_url(idea.thread))
