"""Small helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from forum.extensions import db


def reload(*objects: Any) -> None:
    """See what requests committed: end the test's read transaction and refresh."""
    db.session.rollback()
    for obj in objects:
        db.session.refresh(obj)


def csrf_token(html: str) -> str:
    """The CSRF token a page carries, as a browser would find it."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)
