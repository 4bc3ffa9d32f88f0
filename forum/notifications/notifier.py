"""The notifier: follows the event log and writes each person's notifications.

Each batch reads the events after the notifier's cursor (in a short transaction of its
own, which releases the log's horizon lock at once), then in one write transaction
checks that the cursor has not moved, adds the subscriptions the events imply (proposing,
replying and voting follow the thing), writes a notification for every person who hears
of each event, and moves the cursor past the batch. A crash anywhere leaves either all
of it or none: nobody hears of an event twice, and nothing is dropped. Notifications are
also unique per (person, event), should two notifiers ever run at once.

The same transaction queues each notification's mail, by the person's preference for its
kind (forum.mail.queue): at once, for the daily digest, or none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.companies.access import inside_space
from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow
from forum.events.cursors import apply_batch
from forum.events.log import LoggedEvent
from forum.hooks import Hooks, NotificationText, hooks_of
from forum.mail.queue import queue_notification_mail
from forum.notifications.models import THREAD, Notification, Subscription
from forum.threads.models import Mention, Post, Thread

NAME = "notifier"
# Events whose actor now follows the thread: they proposed, replied or voted there.
FOLLOWED_BY_ACTOR = frozenset({"thread.started", "post.created", "vote.cast"})
# Mail kinds the notifier itself tells apart (see mail_kind); forum.notifications.texts
# registers them with the rest.
MENTIONS, ANSWERS = "mentions", "answers"

logger = logging.getLogger("forum.notifications")


@dataclass(frozen=True)
class Batch:
    first_id: int
    last_id: int
    notifications: int
    mails: int = 0


class Notifier:
    """One app's notifier: its hooks say who hears of what."""

    def __init__(self, app: Flask, engine: Engine, batch_size: int = 200) -> None:
        self.hooks: Hooks = hooks_of(app)
        self.engine = engine
        self.batch_size = batch_size

    def run_once(self) -> Batch | None:
        """Notify for one batch of events; None when the log has nothing new."""
        done = apply_batch(self.engine, NAME, self.batch_size, self._apply_batch)
        if done is None:
            return None
        events, (written, mails) = done
        return Batch(events[0].id, events[-1].id, written, mails)

    def _apply_batch(self, session: Session, events: Sequence[LoggedEvent]) -> tuple[int, int]:
        written = mails = 0
        private: dict[int, bool] = {}  # company id -> is private, for this batch
        for event in events:
            told, mailed = self._apply(session, event, private)
            written, mails = written + told, mails + mailed
        return written, mails

    def run_until_idle(self) -> int:
        """Apply batches until the log is drained; how many notifications were written."""
        total = 0
        while (batch := self.run_once()) is not None:
            total += batch.notifications
        return total

    def _apply(self, session: Session, event: LoggedEvent,
               private: dict[int, bool]) -> tuple[int, int]:
        """Notify for one event: (notifications written, mails queued or held)."""
        if event.type in FOLLOWED_BY_ACTOR and event.actor_id and event.thread_id:
            _follow(session, event.actor_id, THREAD, event.thread_id)
        text = self.hooks.notifications.get(event.type)
        if text is None or not (text.even_if_hidden or _still_visible(session, event)):
            return 0, 0
        people: dict[int, str] = {}
        for user_id, reason in text.recipients(session, event):
            people.setdefault(user_id, reason)  # the first reason given is the one shown
        people.pop(event.actor_id or 0, None)  # never of one's own action
        people = _without_muted(session, event, people)
        people = _inside_private_space(session, event, people, private)
        if not people:
            return 0, 0
        now = utcnow()
        rows = [{"user_id": user_id, "event_id": event.id, "reason": reason,
                 "created_at": now} for user_id, reason in people.items()]
        session.execute(insert_ignoring_conflicts(Notification, session), rows)
        mails = queue_notification_mail(session, event.id, people,
                                        lambda reason: mail_kind(text, event, reason),
                                        self.hooks.mail_kinds)
        return len(rows), mails


def mail_kind(text: NotificationText, event: LoggedEvent, reason: str) -> str:
    """The kind a notification's mail is: a mention is always a mention, and a company's
    official reply is an answer, whatever the event's usual kind."""
    if reason == "mention":
        return MENTIONS
    if event.type == "post.created" and event.data.get("official"):
        return ANSWERS
    return text.mail_kind


def _follow(session: Session, user_id: int, target_type: str, target_id: int) -> None:
    """Follow, unless they follow (or muted) it already: a mute is never undone here."""
    session.execute(insert_ignoring_conflicts(Subscription, session).values(
        user_id=user_id, target_type=target_type, target_id=target_id, muted=False,
        created_at=utcnow()))


def _still_visible(session: Session, event: LoggedEvent) -> bool:
    """Nobody hears of what is hidden or deleted by now (but see even_if_hidden)."""
    if event.thread_id is not None:
        hidden = session.scalar(select(Thread.hidden_at).where(Thread.id == event.thread_id))
        if hidden is not None:
            return False
    if event.subject_type == "posts" and event.subject_id is not None:
        hidden = session.scalar(select(Post.hidden_at).where(Post.id == event.subject_id))
        return hidden is None
    return True


def _inside_private_space(session: Session, event: LoggedEvent, people: dict[int, str],
                          private: dict[int, bool]) -> dict[int, str]:
    """Of a private space, only its staff, its guests and site admins hear anything (the
    policy's VIEW_COMPANY, for a batch of people in one query)."""
    company_id = event.company_id
    if company_id is None or not people:
        return people
    if company_id not in private:
        private[company_id] = bool(session.scalar(
            select(Company.is_private).where(Company.id == company_id)))
    if not private[company_id]:
        return people
    inside = set(session.scalars(select(User.id).where(User.id.in_(list(people)),
                                                       inside_space(company_id))))
    return {user_id: reason for user_id, reason in people.items() if user_id in inside}


def _without_muted(session: Session, event: LoggedEvent,
                   people: dict[int, str]) -> dict[int, str]:
    """A muted thread says nothing, except to someone addressed by name in it."""
    if event.thread_id is None:
        return people
    muted = set(session.scalars(select(Subscription.user_id).where(
        Subscription.target_type == THREAD, Subscription.target_id == event.thread_id,
        Subscription.muted.is_(True), Subscription.user_id.in_(list(people)))))
    return {user_id: reason for user_id, reason in people.items()
            if user_id not in muted or reason == "mention"}


def followers(session: Session, target_type: str, target_id: int | None,
              reason: str = "following") -> Iterable[tuple[int, str]]:
    """Everyone following a thread or company (muted ones are taken out later)."""
    if target_id is None:
        return []
    found = session.scalars(select(Subscription.user_id).where(and_(
        Subscription.target_type == target_type, Subscription.target_id == target_id,
        Subscription.muted.is_(False))))
    return [(user_id, reason) for user_id in found]


def mentioned(session: Session, post_ids: Sequence[int]) -> Iterable[tuple[int, str]]:
    """People @mentioned in these posts (forum.threads keeps them as Mention rows)."""
    found = session.scalars(select(Mention.user_id).where(Mention.post_id.in_(post_ids)))
    return [(user_id, "mention") for user_id in found]
