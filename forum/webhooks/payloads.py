"""What a delivery says: the envelope, and the pieces each event's `data` is built of.

Only what the company's own staff may see goes out: people by username and display name
(never an email address), threads and posts that are not hidden (an event about one that
is hidden by the time the dispatcher reads it sends nothing), links built on BASE_URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.companies.models import Company
from forum.threads.models import Post, Thread
from forum.threads.urls import thread_path


def envelope(message_id: str, event_type: str, moment: datetime, company: Company,
             data: Mapping[str, Any]) -> str:
    """The JSON body of a delivery, as it is signed and sent on every attempt."""
    return json.dumps({
        "id": message_id, "type": event_type,
        "timestamp": moment.isoformat(timespec="seconds") + "Z",
        "company": {"id": company.id, "slug": company.slug, "name": company.name},
        "data": dict(data)}, separators=(",", ":"), ensure_ascii=False, default=str)


def person(session: Session, user_id: int | None) -> dict[str, Any] | None:
    """Someone as the company's staff see them: no email address."""
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "display_name": user.name}


def thread(session: Session, thread_id: int | None) -> dict[str, Any] | None:
    """A thread that is still shown, with its address; None once it is hidden."""
    found = session.get(Thread, thread_id) if thread_id is not None else None
    if found is None or found.hidden_at is not None:
        return None
    slug = session.scalar(select(Company.slug).where(Company.id == found.company_id))
    return {"id": found.id, "kind": found.kind, "title": found.title,
            "url": absolute(thread_path(str(slug), found.id, found.slug, found.kind))}


def post(session: Session, post_id: int | None) -> dict[str, Any] | None:
    """A post that is still shown, in the Markdown its author wrote."""
    found = session.get(Post, post_id) if post_id is not None else None
    if found is None or found.hidden_at is not None:
        return None
    return {"id": found.id, "number": found.number, "kind": found.kind,
            "official": found.official,
            "body": found.body_source,
            "created_at": found.created_at.isoformat(timespec="seconds") + "Z"}


def absolute(path: str) -> str:
    """A link on BASE_URL, never on a request's Host header."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def post_created(session: Session, event: Any) -> dict[str, Any] | None:
    """post.created: the reply, its thread and its author."""
    shown_thread, shown_post = thread(session, event.thread_id), post(session, event.subject_id)
    if shown_thread is None or shown_post is None:
        return None
    return {"post": shown_post, "thread": shown_thread,
            "author": person(session, event.actor_id)}
