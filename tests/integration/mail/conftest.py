"""Mail tests: the notifier and the sender run when a test says, against a real SMTP
server on loopback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from forum.extensions import db
from forum.mail.runtime import get_mail_runtime
from forum.mail.sender import Mailer, Pass
from forum.notifications.runtime import get_notifier_runtime


@pytest.fixture
def mailer(app: Flask) -> Mailer:
    return get_mail_runtime(app).mailer()


@pytest.fixture
def deliver(app: Flask, mailer: Mailer) -> Callable[[], Pass]:
    """`deliver()`: the notifier over everything recorded so far, then the sender."""

    def run() -> Pass:
        db.session.commit()
        get_notifier_runtime(app).notifier().run_until_idle()
        return mailer.run_until_idle()

    return run
