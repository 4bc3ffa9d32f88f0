"""What ideas' events tell whom: every voter hears of every outcome."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.events.log import LoggedEvent
from forum.hooks import MailKind, NotificationText
from forum.notifications.models import THREAD
from forum.notifications.notifier import followers
from ideas import events
from ideas.models import Vote


def voters(session: Session, idea_id: int | None) -> list[tuple[int, str]]:
    found = session.scalars(select(Vote.user_id).where(Vote.idea_id == idea_id))
    return [(user_id, "voted") for user_id in found]


def _status_changed(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A new status, with the company's note, reaches every voter and follower."""
    return [*voters(session, event.subject_id), *followers(session, THREAD, event.thread_id)]


def _merged(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """The merged idea's voters learn where their vote went."""
    return voters(session, event.subject_id)


def _in_changelog(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """Voters of linked ideas that were shipped already (the others hear of the status
    change that publishing makes)."""
    shipped = event.data.get("shipped_before") or []
    if not shipped:
        return []
    found = session.scalars(select(Vote.user_id).where(Vote.idea_id.in_(shipped)).distinct())
    return [(user_id, "voted") for user_id in found]


def _recorded(_session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """The customer a team member recorded a vote for."""
    voter = event.data.get("voter_id")
    return [(voter, "recorded")] if isinstance(voter, int) else []


STATUS, RECORDED = "status", "recorded"
IDEA_MAIL_KINDS = [
    MailKind(RECORDED, "A company records your vote for an idea, as you asked", "now"),
    MailKind(STATUS, "An idea you voted for or follow changes status or is merged", "now"),
]

IDEA_NOTIFICATIONS = [
    NotificationText(events.IDEA_STATUS_CHANGED, _status_changed,
                     "notifications/_idea_status_changed.html", STATUS),
    NotificationText(events.IDEA_MERGED, _merged, "notifications/_idea_merged.html", STATUS),
    NotificationText(events.VOTE_RECORDED, _recorded, "notifications/_vote_recorded.html",
                     RECORDED),
    NotificationText(events.CHANGELOG_PUBLISHED, _in_changelog,
                     "notifications/_changelog_published.html", STATUS),
]
