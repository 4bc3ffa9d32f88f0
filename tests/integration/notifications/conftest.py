"""The notifier, run on demand: tests decide when the log is read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from forum.extensions import db
from forum.notifications.runtime import get_notifier_runtime


@pytest.fixture
def notify(app: Flask) -> Callable[[], int]:
    """`notify()`: run the notifier over everything recorded so far."""

    def run() -> int:
        db.session.commit()
        return get_notifier_runtime(app).notifier().run_until_idle()

    return run
