"""Webhook fixtures: real receivers on loopback, and running the dispatcher and sender."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from flask import Flask

from forum.extensions import db
from forum.webhooks.runtime import get_webhook_runtime
from forum.webhooks.sender import Answer, WebhookSender
from tests.webhooks import Receiver


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[], Receiver]]:
    receivers: list[Receiver] = []

    def start() -> Receiver:
        receiver = Receiver().start()
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.stop()


@pytest.fixture
def receiver(receiver_factory: Callable[[], Receiver]) -> Receiver:
    return receiver_factory()


@pytest.fixture
def sender(app: Flask) -> Iterator[WebhookSender]:
    sender = WebhookSender(app)
    yield sender
    sender.wait()
    sender.close()


@pytest.fixture
def deliver(app: Flask, sender: WebhookSender) -> Callable[..., list[Answer]]:
    """`deliver(now=None)`: dispatch what was recorded, then send what is due at `now`
    and wait for every answer."""

    def run(now: datetime | None = None) -> list[Answer]:
        db.session.commit()
        get_webhook_runtime(app).dispatcher().run_until_idle()
        answers = sender.run_until_idle(now)
        db.session.rollback()
        db.session.expire_all()
        return answers

    return run
