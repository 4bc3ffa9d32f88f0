"""The idea events company owners may send to their webhooks, and the data each carries
(see forum.webhooks.payloads: nothing hidden, no email addresses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forum.hooks import WebhookEvent
from forum.webhooks import payloads
from ideas import events
from ideas.models import Idea


def _idea(session: Session, idea_id: int | None) -> dict[str, Any] | None:
    """An idea whose thread is still shown: its thread, status and votes."""
    idea = session.get(Idea, idea_id) if idea_id is not None else None
    thread = payloads.thread(session, idea.thread_id) if idea is not None else None
    if idea is None or thread is None:
        return None
    return {"id": idea.id, "thread": thread, "status": idea.status,
            "votes": idea.vote_count, "merged_into": idea.merged_into_id}


def proposed(session: Session, event: Any) -> dict[str, Any] | None:
    idea = _idea(session, event.subject_id)
    return None if idea is None else {
        "idea": idea, "author": payloads.person(session, event.actor_id)}


def status_changed(session: Session, event: Any) -> dict[str, Any] | None:
    idea = _idea(session, event.subject_id)
    if idea is None:
        return None
    (old, new), (old_label, new_label) = event.data["status"], event.data["labels"]
    return {"idea": idea, "from": {"status": old, "label": old_label},
            "to": {"status": new, "label": new_label},
            "note": payloads.post(session, event.data.get("post_id")),
            "changed_by": payloads.person(session, event.actor_id)}


def merged(session: Session, event: Any) -> dict[str, Any] | None:
    idea, into = _idea(session, event.subject_id), _idea(session, event.data.get("into"))
    return None if idea is None or into is None else {
        "idea": idea, "into": into, "votes_moved": event.data.get("votes_moved", 0),
        "merged_by": payloads.person(session, event.actor_id)}


def vote_cast(session: Session, event: Any) -> dict[str, Any] | None:
    idea = _idea(session, event.subject_id)
    return None if idea is None else {
        "idea": idea, "voter": payloads.person(session, event.actor_id)}


def changelog_published(session: Session, event: Any) -> dict[str, Any] | None:
    thread = payloads.thread(session, event.thread_id)
    if thread is None:
        return None
    ideas = [found for idea_id in event.data.get("ideas", ())
             if (found := _idea(session, idea_id)) is not None]
    return {"entry": {"id": event.subject_id, "title": thread["title"], "thread": thread},
            "ideas": ideas, "published_by": payloads.person(session, event.actor_id)}


IDEA_WEBHOOK_EVENTS = [
    WebhookEvent(events.IDEA_PROPOSED, "An idea is proposed", proposed),
    WebhookEvent(events.IDEA_STATUS_CHANGED, "An idea's status changes", status_changed),
    WebhookEvent(events.IDEA_MERGED, "An idea is merged into another", merged),
    WebhookEvent(events.VOTE_CAST, "Someone votes for an idea", vote_cast),
    WebhookEvent(events.CHANGELOG_PUBLISHED, "A changelog entry is published",
                 changelog_published),
]
