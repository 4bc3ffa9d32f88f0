"""The audit log: what happened on the platform, for site admins, from the event log."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from forum import policy
from forum.events.queries import EventFilters, audit_page
from forum.events.types import event_types
from forum.routing import parse_id

bp = Blueprint("audit", __name__, url_prefix="/admin")


@bp.get("/events")
@login_required
def events() -> str:
    """Recent events, newest first, filtered by type, company and actor."""
    policy.require(current_user, policy.Action.VIEW_ADMIN)
    types = event_types(current_app)
    wanted = request.args.get("type", "")
    filters = EventFilters(
        type=wanted if wanted in types else "",
        company=request.args.get("company", "").strip()[:40],
        actor=request.args.get("actor", "").strip()[:30],
        before=request.args.get("before", type=parse_id))
    return render_template("admin/events.html", page=audit_page(filters, types),
                           filters=filters, types=sorted(types.items()))

