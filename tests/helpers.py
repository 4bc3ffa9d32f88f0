"""Small helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import Notification


def reload(*objects: Any) -> None:
    """See what requests committed: end the test's read transaction and refresh."""
    db.session.rollback()
    for obj in objects:
        db.session.refresh(obj)


def csrf_token(html: str) -> str:
    """The CSRF token a page carries, as a browser would find it: the meta tag htmx reads
    when signed in, the form's own field when signed out (the sign-in form)."""
    match = re.search(r'name="csrf[-_]token"[^>]*?(?:content|value)="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def without_csrf(page: str) -> str:
    """The page without its CSRF tokens, which carry the second they were signed in."""
    return re.sub(r'(name="csrf[-_]token"[^>]*? (?:content|value))="[^"]*"', r'\1=""', page)


def assert_queries_stay_flat(client: Any, count_queries: Any, url: str,
                             grow: Any, small: int = 2, large: int = 8) -> None:
    """The page at `url` runs the same number of SQL statements after `grow(large)` as
    after `grow(small)`: no query per row, whatever the size of the data."""

    def statements() -> int:
        with count_queries() as recorded:
            assert client.get(url).status_code == 200
        return len(recorded)

    grow(small)
    before = statements()
    grow(large)
    assert statements() == before


def heard(user: Any) -> list[str]:
    """The event types a person has been notified of, oldest first (what is committed)."""
    db.session.rollback()
    return list(db.session.scalars(
        select(Event.type).join(Notification, Notification.event_id == Event.id)
        .where(Notification.user_id == user.id).order_by(Notification.id)))
