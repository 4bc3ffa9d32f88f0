"""The audit log: what happened on the platform, for site admins, from the event log."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import policy
from forum.events.queries import EventFilters, audit_page
from forum.events.types import event_types, staff_action_types
from forum.routing import parse_id

bp = Blueprint("audit", __name__, url_prefix="/admin")


@bp.get("/audit")
@login_required
def audit() -> str:
    """Recent events, newest first, filtered by type, company, actor, and to staff and
    admin actions; each with who, when, what, and the before and after of its change."""
    policy.require(current_user, policy.Action.VIEW_ADMIN)
    types = event_types(current_app)
    wanted = request.args.get("type", "")
    filters = EventFilters(
        type=wanted if wanted in types else "",
        company=request.args.get("company", "").strip()[:40],
        actor=request.args.get("actor", "").strip()[:30],
        before=request.args.get("before", type=parse_id),
        staff_only=request.args.get("staff") == "1")
    page = audit_page(filters, types, staff_action_types(current_app))
    return render_template("admin/audit.html", page=page, filters=filters,
                           types=sorted(types.items()))


@bp.get("/events")
def events() -> Response:
    """The audit log's old address: bookmarks and links keep working, filters and all."""
    return redirect(url_for("audit.audit", **request.args.to_dict(flat=False)), 301)
