"""The product team's inbox at /c/<slug>/manage/ideas, and its bulk actions.

A nested blueprint of ideas.views (endpoints `ideas.triage.*`). The view's filters are
a GET form (htmx swaps the list in place; without JS the page reloads); the bulk form
posts the selected ideas and comes back to the same view with what was done.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum.companies.services import managed_company
from forum.errors import Invalid
from forum.forms import redirect_with_message
from forum.routing import parse_id, parse_page
from forum.web import safe_next, wants_fragment
from ideas import export, segments, services, statuses, triage
from ideas.policy import IdeaAction

bp = Blueprint("triage", __name__)


def _id(text: str, field: str, message: str) -> int:
    try:
        return parse_id(text)
    except ValueError:
        raise Invalid(message, field=field) from None


def _view() -> triage.View:
    """The view the query string asks for; a value that makes no sense is a 400."""
    args = request.args
    tag, segment = args.get("tag", ""), args.get("segment", "")
    try:
        page = parse_page(args.get("page", "1") or "1")
    except ValueError:
        raise Invalid("Pages are numbered from 1.", field="page") from None
    return triage.View(view=args.get("view", "new") or "new", status=args.get("status", ""),
                       tag_id=_id(tag, "tag", "Choose a tag from the list.") if tag else None,
                       owner=args.get("owner", ""), query=args.get("q", "")[:100], page=page,
                       segment_id=_id(segment, "segment", "Choose a segment from the list.")
                       if segment else None)


@bp.get("/c/<slug>/manage/ideas")
@login_required
def inbox(slug: str) -> str:
    """New and untriaged ideas first, or any view the team picks, with bulk actions."""
    company = managed_company(current_user, slug, IdeaAction.TRIAGE)
    view = _view()
    page = triage.inbox(current_user, company, view)
    context = {"company": company, "view": view, "page": page,
               "views": triage.VIEWS, "actions": triage.ACTIONS,
               "statuses": statuses.company_statuses(company.id),
               "tags": services.company_tags(company),
               "team": triage.team_members(company), "nobody": triage.NOBODY,
               "segments": [row.segment for row in segments.segments(company)],
               "here": request.full_path.rstrip("?")}
    if wants_fragment():
        return render_template("ideas/_inbox_list.html", **context)
    return render_template("ideas/inbox.html", awaiting=triage.awaiting(company), **context)


@bp.get("/c/<slug>/manage/ideas/export.csv")
@login_required
def export_ideas(slug: str) -> Response:
    """The current view's ideas, every page of them, as CSV."""
    company = managed_company(current_user, slug, IdeaAction.TRIAGE)
    lines = export.ideas_csv(current_user, company, _view())
    return _csv(lines, f"{company.slug}-ideas.csv")


@bp.get("/c/<slug>/manage/ideas/<int:thread_id>/voters.csv")
@login_required
def export_voters(slug: str, thread_id: int) -> Response:
    """One idea's voters as CSV."""
    company = managed_company(current_user, slug, IdeaAction.TRIAGE)
    idea = services.get_idea(company, thread_id)
    return _csv(export.voters_csv(current_user, idea),
                f"{company.slug}-idea-{thread_id}-voters.csv")


def _csv(lines: Iterator[str], filename: str) -> Response:
    return Response(lines, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/c/<slug>/manage/ideas/bulk")
@login_required
def bulk(slug: str) -> Response:
    """Apply one action to the selected ideas, all or nothing, and say what was done."""
    company = managed_company(current_user, slug, IdeaAction.TRIAGE)
    form = request.form
    selected = [_id(value, "ideas", "The selection names an idea that does not exist.")
                for value in form.getlist("ideas")]
    tag, into = form.get("tag", ""), form.get("into", "")
    done = triage.apply(current_user, company, triage.Bulk(
        action=form.get("action", ""), thread_ids=selected, status=form.get("status", ""),
        note=form.get("note", "").strip(),
        tag_id=_id(tag, "tag", "Choose a tag from the list.") if tag else None,
        owner=form.get("owner", ""),
        into_thread_id=_id(into, "into", "Choose the idea to merge into.") if into else None))
    back = url_for("ideas.triage.inbox", slug=company.slug)
    return redirect_with_message(safe_next(form.get("next"), back), done)

