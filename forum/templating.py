"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from forum import content, policy
from forum.database import utcnow
from forum.hooks import hooks_of


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 hours ago': how long ago a stored (naive UTC) moment was."""
    if moment is None:
        return ""
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("week", 604_800),
                       ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def configure_templates(app: Flask) -> None:
    app.jinja_env.globals.update(can=policy.can, navigation=hooks_of(app).nav)
    app.jinja_env.filters["excerpt"] = content.render_plain_excerpt
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["day"] = policy.day
    # `companies | selectattr("company", "visible_to", current_user)`: the policy's
    # VIEW_COMPANY as a test, for lists that name companies (a profile's staff roles).
    app.jinja_env.tests["visible_to"] = lambda company, viewer: bool(
        policy.can(viewer, policy.Action.VIEW_COMPANY, company))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
