"""The webhook sender: claims due deliveries and POSTs them, outside any transaction.

Claim, send, record, as the mail sender does (forum/mail/sender.py):
- A claim (one write transaction) takes, per endpoint that has something due and no
  delivery in flight, its oldest due delivery, and leases both the delivery and the
  endpoint for WEBHOOK_LEASE_SECONDS: two senders (threads, nodes) never send the same
  delivery at once, and an endpoint gets one request at a time.
- Each claimed delivery is sent by a thread of a small pool (WEBHOOK_WORKERS), with short
  connect and read timeouts, so a slow or dead receiver holds up only its own endpoint;
  the sender's loop goes on claiming for the others meanwhile. Requests never send.
- The thread records the answer in a transaction of its own. 2xx: delivered, never sent
  again. Anything else, a timeout or a refused address: tried again after the next step
  of WEBHOOK_RETRY_SCHEDULE (Standard Webhooks' 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
  10 h: about a day), with 10% jitter; after the last, failed (an owner may resend it).

At least once, deduplicated by id: a sender that dies after the receiver answered and
before it recorded the answer leaves the lease to run out, and the delivery is sent again
with the same `webhook-id`, which Standard Webhooks receivers dedupe on.

An endpoint whose every delivery failed for WEBHOOK_DISABLE_AFTER_HOURS (5 days, as
Svix does) is disabled when one more fails for good; its owner sees why, and enables it.
"""

from __future__ import annotations

import http.client
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, exists, or_, select, update

from forum.database import utcnow, write_transaction
from forum.errors import Invalid
from forum.extensions import db
from forum.webhooks import signing, transport
from forum.webhooks.addresses import target
from forum.webhooks.models import DELIVERED, FAILED, PENDING, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("forum.webhooks")


@dataclass(frozen=True)
class Claim:
    """What a sending thread needs of one claimed delivery (no database rows)."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    message_id: str
    payload: str
    attempts: int


@dataclass(frozen=True)
class Answer:
    """What came of one attempt."""

    status_code: int | None
    response_ms: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempts: int, schedule: list[float],
                jitter: Callable[[], float] = lambda: random.uniform(0.9, 1.1)
                ) -> timedelta | None:
    """How long after its `attempts`-th failure a delivery is tried again; None: no more."""
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1] * jitter())


def _due(now: datetime) -> object:
    return and_(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.claimed_until.is_(None),
                    WebhookDelivery.claimed_until < now))


class WebhookSender:
    """One app's sender with its pool of sending threads. Call run_once() in the app
    context; close() when done."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.config = app.config
        self.pool = ThreadPoolExecutor(self.config["WEBHOOK_WORKERS"],
                                       thread_name_prefix="webhook")
        self.in_flight: set[Future[Answer]] = set()

    def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due and hand it to the pool; how many deliveries were handed."""
        now = now or utcnow()
        self.in_flight = {future for future in self.in_flight if not future.done()}
        free = self.config["WEBHOOK_WORKERS"] - len(self.in_flight)
        claims = self._claim(now, free) if free > 0 else []
        for claim in claims:
            self.in_flight.add(self.pool.submit(self._deliver, claim, now))
        return len(claims)

    def wait(self) -> list[Answer]:
        """Wait for every delivery in flight; what came of each."""
        done, _ = wait(self.in_flight)
        self.in_flight = set()
        return [future.result() for future in done]

    def run_until_idle(self, now: datetime | None = None) -> list[Answer]:
        """Send everything due at `now`, waiting for each answer (the CLI and tests)."""
        answers: list[Answer] = []
        while self.run_once(now):
            answers += self.wait()
        return answers + self.wait()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _claim(self, now: datetime, limit: int) -> list[Claim]:
        lease = now + timedelta(seconds=self.config["WEBHOOK_LEASE_SECONDS"])
        with write_transaction():
            statement = (select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret)
                         .where(WebhookEndpoint.enabled.is_(True),
                                or_(WebhookEndpoint.busy_until.is_(None),
                                    WebhookEndpoint.busy_until < now),
                                exists().where(WebhookDelivery.endpoint_id == WebhookEndpoint.id,
                                               _due(now)))
                         .order_by(WebhookEndpoint.id).limit(limit))
            if db.session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            claims = []
            for endpoint_id, url, secret in db.session.execute(statement).all():
                delivery = db.session.scalar(
                    select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id,
                                                  _due(now))
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(1))
                if delivery is None:
                    continue
                delivery.claimed_until = lease
                claims.append(Claim(delivery.id, endpoint_id, url, secret,
                                    delivery.message_id, delivery.payload, delivery.attempts))
            db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id.in_(
                [claim.endpoint_id for claim in claims])).values(busy_until=lease))
        return claims

    def _deliver(self, claim: Claim, now: datetime) -> Answer:
        """In a pool thread: send one claimed delivery and record its answer."""
        with self.app.app_context():
            try:
                answer = self._attempt(claim)
                self._record(claim, answer, now)
                return answer
            except Exception:
                logger.exception("Webhook delivery %s could not be recorded", claim.delivery_id)
                raise
            finally:
                db.session.remove()

    def _attempt(self, claim: Claim) -> Answer:
        try:
            where = target(claim.url,
                           allow_private=self.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"])
        except Invalid as refusal:
            return Answer(None, None, refusal.message)
        timestamp = int(time.time())  # the receiver compares it with its own clock
        headers = signing.headers(claim.secret, claim.message_id, timestamp, claim.payload)
        started = time.perf_counter()
        try:
            status = transport.post(where, claim.payload.encode(), headers,
                                    connect_timeout=self.config["WEBHOOK_CONNECT_TIMEOUT"],
                                    read_timeout=self.config["WEBHOOK_READ_TIMEOUT"])
        except (OSError, http.client.HTTPException) as error:
            elapsed = round((time.perf_counter() - started) * 1000)
            return Answer(None, elapsed, f"{type(error).__name__}: {error}"[:500])
        elapsed = round((time.perf_counter() - started) * 1000)
        return Answer(status, elapsed, "" if 200 <= status < 300 else f"Answered {status}.")

    def _record(self, claim: Claim, answer: Answer, now: datetime) -> None:
        attempts = claim.attempts + 1
        values: dict[str, object] = {
            "attempts": attempts, "claimed_until": None, "last_attempt_at": now,
            "last_status_code": answer.status_code, "last_response_ms": answer.response_ms,
            "last_error": answer.error}
        delay = None if answer.ok else retry_delay(attempts, self.config["WEBHOOK_RETRY_SCHEDULE"])
        if answer.ok:
            values.update(status=DELIVERED, delivered_at=now)
        elif delay is None:
            values.update(status=FAILED)
        else:
            values.update(next_attempt_at=now + delay)
        with write_transaction():
            db.session.execute(update(WebhookDelivery).where(
                WebhookDelivery.id == claim.delivery_id, WebhookDelivery.status == PENDING)
                .values(**values))
            endpoint = db.session.get(WebhookEndpoint, claim.endpoint_id)
            if endpoint is None:
                return  # deleted meanwhile
            endpoint.busy_until = None
            if answer.ok:
                endpoint.failing_since = None
                return
            endpoint.failing_since = endpoint.failing_since or now
            disable_after = timedelta(hours=self.config["WEBHOOK_DISABLE_AFTER_HOURS"])
            if delay is None and endpoint.failing_since <= now - disable_after:
                endpoint.enabled = False
                endpoint.disabled_reason = "Every delivery failed for days: disabled."
        if not answer.ok:
            logger.info("Webhook delivery %s failed (attempt %s): %s", claim.delivery_id,
                        attempts, answer.error or answer.status_code)
