"""What a company's owners do with webhooks: register endpoints, choose their events,
switch them off and on, delete them, roll their secret, send a test, resend a delivery.

Every change is an event of the log (a staff action in the audit log, never carrying
the secret). Nothing here sends anything: deliveries are queued for the sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events import log
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.hooks import hooks_of
from forum.threads.urls import path_for
from forum.webhooks import signing
from forum.webhooks.addresses import check_url
from forum.webhooks.dispatcher import delivery_row, new_message_id
from forum.webhooks.models import (
    FAILED,
    PENDING,
    TEST_EVENT,
    WebhookDelivery,
    WebhookEndpoint,
)
from forum.webhooks.payloads import absolute, envelope

MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 200
RECENT_DELIVERIES = 25


def endpoints(company: Company) -> list[WebhookEndpoint]:
    """The company's endpoints, oldest first."""
    return list(db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.company_id == company.id).order_by(WebhookEndpoint.id)))


def get_endpoint(company: Company, endpoint_id: int) -> WebhookEndpoint:
    """One of the company's endpoints (another company's is not found here)."""
    endpoint = db.session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.company_id == company.id))
    if endpoint is None:
        raise NotFound("This webhook does not exist (any more).")
    return endpoint


def recent_deliveries(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    """The endpoint's newest deliveries, newest first."""
    return list(db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc())
        .limit(RECENT_DELIVERIES)))


def add_endpoint(actor: User, company: Company, *, url: str | None, description: str | None,
                 event_types: Sequence[str]) -> WebhookEndpoint:
    """An owner registers a URL for the chosen kinds of event; it hears of events from now."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, company)
    url, description, chosen = _checked(url, description, event_types)
    with write_transaction():
        count = db.session.scalar(select(func.count()).select_from(WebhookEndpoint).where(
            WebhookEndpoint.company_id == company.id)) or 0
        if count >= MAX_ENDPOINTS:
            raise Conflict(f"A company has at most {MAX_ENDPOINTS} webhooks: delete one first.")
        endpoint = WebhookEndpoint(
            company_id=company.id, url=url, description=description, event_types=chosen,
            secret=signing.new_secret(), enabled=True, disabled_reason="",
            after_event_id=log.newest_id(db.session()), created_by_id=actor.id,
            created_at=utcnow())
        db.session.add(endpoint)
        record(events.WEBHOOK_SAVED, actor, endpoint, company, _described(endpoint))
    return endpoint


def update_endpoint(actor: User, endpoint: WebhookEndpoint, *, url: str | None,
                    description: str | None, event_types: Sequence[str]) -> WebhookEndpoint:
    """An owner changes where an endpoint points, what it says, or what it hears of."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, endpoint.company)
    url, description, chosen = _checked(url, description, event_types)
    with write_transaction():
        endpoint.url, endpoint.description, endpoint.event_types = url, description, chosen
        record(events.WEBHOOK_SAVED, actor, endpoint, endpoint.company, _described(endpoint))
    return endpoint


def switch_endpoint(actor: User, endpoint: WebhookEndpoint, enabled: bool) -> WebhookEndpoint:
    """Enable or disable an endpoint: disabled, it hears of nothing (nothing is queued)."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, endpoint.company)
    with write_transaction():
        endpoint.enabled, endpoint.disabled_reason = enabled, ""
        if enabled:
            endpoint.failing_since = None
        record(events.WEBHOOK_SWITCHED, actor, endpoint, endpoint.company,
               {**_described(endpoint), "enabled": enabled})
    return endpoint


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its deliveries (the audit log keeps that it existed)."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, endpoint.company)
    with write_transaction():
        record(events.WEBHOOK_DELETED, actor, endpoint, endpoint.company,
               _described(endpoint))
        db.session.execute(delete(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id))
        db.session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id)
                           .execution_options(synchronize_session=False))


def roll_secret(actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret at once: attempts from now on are signed with it."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, endpoint.company)
    with write_transaction():
        endpoint.secret = signing.new_secret()
        record(events.WEBHOOK_SECRET_ROLLED, actor, endpoint, endpoint.company,
               _described(endpoint))
    return endpoint


def send_test(actor: User, endpoint: WebhookEndpoint, now: datetime | None = None
              ) -> WebhookDelivery:
    """Queue a `webhook.test` delivery, due at once, whatever events the endpoint chose."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, endpoint.company)
    if not endpoint.enabled:
        raise Conflict("This webhook is disabled: enable it to send it a test event.")
    now = now or utcnow()
    message_id = new_message_id()
    body = envelope(message_id, TEST_EVENT, now, endpoint.company, {
        "message": "A test event, sent from the webhook's settings page.",
        "webhook": {"id": endpoint.id, "url": endpoint.url},
        "sent_by": actor.username,
        "settings_url": absolute(path_for("webhooks.endpoint", {
            "slug": endpoint.company.slug, "endpoint_id": endpoint.id}))})
    with write_transaction():
        delivery_id = db.session.scalar(insert(WebhookDelivery).values(
            delivery_row(endpoint.id, None, TEST_EVENT, body, message_id, now))
            .returning(WebhookDelivery.id))
        record(events.WEBHOOK_TEST_SENT, actor, endpoint, endpoint.company, _described(endpoint))
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    return delivery


def resend(actor: User, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    """Try a failed delivery again, at once and with its retries anew (same webhook-id)."""
    policy.require(actor, policy.Action.MANAGE_WEBHOOKS, endpoint.company)
    with write_transaction():
        delivery = db.session.scalar(select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id))
        if delivery is None:
            raise NotFound("This delivery does not exist (any more).")
        if delivery.status != FAILED:
            raise Conflict("Only a failed delivery is resent: this one is "
                           f"{delivery.status}.")
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id)
                           .values(status=PENDING, attempts=0, next_attempt_at=utcnow(),
                                   claimed_until=None))
        record(events.WEBHOOK_RESENT, actor, endpoint, endpoint.company,
               {**_described(endpoint), "delivery": delivery.message_id})
    db.session.refresh(delivery)
    return delivery


def _checked(url: str | None, description: str | None, event_types: Sequence[str]
             ) -> tuple[str, str, list[str]]:
    """The fields as saved, or Invalid naming the one that is wrong."""
    url = check_url(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"])
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"Descriptions are at most {MAX_DESCRIPTION} characters "
                      f"({len(description)} now).", field="description")
    known = hooks_of().webhook_events
    chosen = [name for name in known if name in set(event_types)]
    if not chosen or len(chosen) != len(set(event_types)):
        raise Invalid("Choose at least one of the events listed.", field="event_types")
    return url, description, chosen


def _described(endpoint: WebhookEndpoint) -> dict[str, object]:
    """What the audit log keeps of an endpoint: never its secret."""
    return {"url": endpoint.url, "event_types": list(endpoint.event_types)}
