"""The bell, the list of notifications, and following or muting things."""

from __future__ import annotations

from functools import cached_property

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum.companies.models import Company
from forum.companies.services import get_company
from forum.errors import Invalid
from forum.hooks import hooks_of
from forum.notifications import queries, services
from forum.notifications.runtime import NotifierRuntime
from forum.routing import parse_id
from forum.threads.models import Thread
from forum.threads.queries import get_thread
from forum.threads.views import numbered_post_url, thread_url
from forum.web import safe_next, wants_fragment

bp = Blueprint("notifications", __name__)

STATES = {services.FOLLOWING, services.MUTED, services.NOT_FOLLOWING}


class Bell:
    """The header's unread count: read once, and only by a page that shows the header."""

    @cached_property
    def unread(self) -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)


@bp.get("/notifications")
@login_required
def index() -> str:
    """Everything you heard of, newest first."""
    page = queries.notification_page(current_user, request.args.get("before", type=parse_id))
    return render_template("notifications/index.html", page=page)


@bp.get("/home")
@login_required
def home() -> str:
    """A customer's start page: what happened to their ideas, votes and threads across
    every company, where each idea stands now, and the companies they follow."""
    user = current_user._get_current_object()
    return render_template(
        "notifications/home.html",
        news=queries.notification_page(user, per_page=queries.HOME_NEWS),
        sections=[section(user, user) for section in hooks_of().profile_sections],
        companies=services.followed_companies(user))


@bp.get("/notifications/bell")
@login_required
def bell() -> str:
    """The bell alone, for htmx to refresh now and then."""
    return render_template("notifications/_bell.html")


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int) -> Response:
    """Mark a notification read and go to what it is about."""
    services.mark_read(current_user, [notification_id])
    thread, number, company = queries.notification_of(current_user, notification_id)
    if thread is None and (endpoint := queries.page_of(current_user, notification_id)):
        return redirect(url_for(endpoint))
    if company is not None:
        return redirect(url_for("companies.company", slug=company.slug))
    if thread is None:
        flash("That is no longer there to see.", "info")
        return redirect(url_for("notifications.index"))
    return redirect(numbered_post_url(thread, number) if number else thread_url(thread))


@bp.post("/notifications/read")
@login_required
def read_all() -> Response:
    """Mark every notification read."""
    count = services.mark_read(current_user)
    flash(f"Marked {count} notification{'' if count == 1 else 's'} read.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/c/<slug>/follow")
@login_required
def follow_company(slug: str) -> str | Response:
    """Follow a company's new ideas and announcements, or stop."""
    company = get_company(slug)
    return _set(company, url_for("companies.company", slug=slug), request.path)


@bp.post("/c/<slug>/t/<int:thread_id>/follow")
@login_required
def follow_thread(slug: str, thread_id: int) -> str | Response:
    """Follow, mute or stop following a thread or an idea."""
    thread = get_thread(current_user, get_company(slug), thread_id)
    return _set(thread, thread_url(thread), request.path)


def _set(target: Thread | Company, back: str, follow_url: str) -> str | Response:
    state = request.form.get("state", "")
    if state not in STATES:
        raise Invalid("Choose to follow, mute or stop following.")
    services.set_following(current_user, target, state)
    if wants_fragment():
        return render_template("notifications/_follow.html", follow_url=follow_url,
                               follow_state=state)
    flash({services.FOLLOWING: "You will hear of what happens here.",
           services.MUTED: "Muted: you will hear nothing of this.",
           services.NOT_FOLLOWING: "You no longer follow this."}[state], "success")
    return redirect(safe_next(request.form.get("next"), back))


def configure_notifications(app: Flask) -> None:
    """Its pages, the bell's count for the header (computed only when the header shows
    it), and the notifier thread under the development server."""
    app.extensions[NotifierRuntime.EXTENSION] = runtime = NotifierRuntime(app)
    app.register_blueprint(bp)
    app.context_processor(lambda: {"bell": Bell()})
    app.before_request(runtime.start_on_first_request)
