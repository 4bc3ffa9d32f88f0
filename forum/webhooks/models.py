"""Webhook endpoints a company's owners register, and the deliveries made to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
TEST_EVENT = "webhook.test"  # what "send test event" sends: no event of the log


class WebhookEndpoint(db.Model):
    """A URL that hears of the chosen kinds of event at one company, signed with its secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "whsec_" and the base64 of the key, as Standard Webhooks libraries take it.
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="")
    # Events up to this id happened before it was registered: it hears of none of them.
    after_event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0)
    # Since when every attempt failed (None: the last one succeeded); see sender.py.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # A sender has a delivery of it in flight until then: one at a time per endpoint.
    busy_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    company: Mapped[Company] = relationship(lazy="joined")


Index("ix_webhook_endpoints_company", WebhookEndpoint.company_id)


class WebhookDelivery(db.Model):
    """One message to one endpoint: sent until it answers 2xx, retried with backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # None for a test event (so any number of them per endpoint).
    event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("events.id", ondelete="CASCADE"), default=None)
    event_type: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(40))  # webhook-id: the same on each retry
    payload: Mapped[str] = mapped_column(Text)  # the body, exactly as signed and sent
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_response_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


# The sender looks for what is due; the settings page lists an endpoint's newest.
Index("ix_webhook_deliveries_due", WebhookDelivery.status, WebhookDelivery.next_attempt_at)
Index("ix_webhook_deliveries_endpoint", WebhookDelivery.endpoint_id, WebhookDelivery.id)
