"""The webhook dispatcher: follows the event log and queues one delivery per event for
every enabled endpoint of the event's company that chose its type.

As the notifier does (forum/notifications/notifier.py), it reads a batch after its cursor
in a short transaction, then in one write transaction checks the cursor has not moved,
queues the deliveries and moves the cursor: a crash queues all of a batch or none of it,
and deliveries are unique per (endpoint, event), should two dispatchers ever run at once.
Nothing is sent here: the sender (sender.py) does that, outside any transaction.

An endpoint hears only of its own company's events, and only of those after it was
registered; an event about something hidden by now queues nothing.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from forum.companies.models import Company
from forum.database import insert_ignoring_conflicts, utcnow
from forum.events.cursors import apply_batch
from forum.events.log import LoggedEvent
from forum.events.models import Event
from forum.hooks import Hooks, hooks_of
from forum.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint
from forum.webhooks.payloads import envelope

NAME = "webhooks"


def new_message_id() -> str:
    """A delivery's webhook-id: the same on every attempt, so receivers can dedupe."""
    return "msg_" + secrets.token_urlsafe(18)


def delivery_row(endpoint_id: int, event_id: int | None, event_type: str, body: str,
                 message_id: str, now: datetime) -> dict[str, object]:
    """A pending delivery, due at once."""
    return {"endpoint_id": endpoint_id, "event_id": event_id, "event_type": event_type,
            "message_id": message_id, "payload": body, "status": PENDING, "attempts": 0,
            "next_attempt_at": now, "last_error": "", "created_at": now}


class Dispatcher:
    """One app's dispatcher: its hooks say which event types go out, and with what data."""

    def __init__(self, app: Flask, engine: Engine, batch_size: int = 200) -> None:
        self.hooks: Hooks = hooks_of(app)
        self.engine = engine
        self.batch_size = batch_size

    def run_once(self) -> int | None:
        """Queue the deliveries of one batch of events; None when the log has nothing new."""
        done = apply_batch(self.engine, NAME, self.batch_size, self._queue)
        return None if done is None else done[1]

    def run_until_idle(self) -> int:
        """Dispatch until the log is drained; how many deliveries were queued."""
        total = 0
        while (queued := self.run_once()) is not None:
            total += queued
        return total

    def _queue(self, session: Session, events: Sequence[LoggedEvent]) -> int:
        wanted = [event for event in events
                  if event.type in self.hooks.webhook_events and event.company_id]
        if not wanted:
            return 0
        by_company: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in session.scalars(select(WebhookEndpoint).where(
                WebhookEndpoint.company_id.in_({event.company_id for event in wanted}),
                WebhookEndpoint.enabled.is_(True))):
            by_company[endpoint.company_id].append(endpoint)
        moments = dict(session.execute(select(Event.id, Event.created_at).where(
            Event.id.in_([event.id for event in wanted]))).all())
        now, rows = utcnow(), []
        for event in wanted:
            endpoints = [endpoint for endpoint in by_company.get(event.company_id or 0, [])
                         if event.type in endpoint.event_types
                         and event.id > endpoint.after_event_id]
            if not endpoints:
                continue
            data = self.hooks.webhook_events[event.type].data(session, event)
            company = session.get(Company, event.company_id)
            if data is None or company is None:
                continue
            for endpoint in endpoints:
                message_id = new_message_id()
                body = envelope(message_id, event.type, moments[event.id], company, data)
                rows.append(delivery_row(endpoint.id, event.id, event.type, body,
                                         message_id, now))
        if rows:
            session.execute(insert_ignoring_conflicts(WebhookDelivery, session), rows)
        return len(rows)
