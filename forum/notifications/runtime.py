"""Running the notifier: a thread of the development server, or of `flask worker`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from forum.background import BackgroundLoop
from forum.extensions import db
from forum.notifications.notifier import Notifier


class NotifierRuntime(BackgroundLoop):
    """One app's notifier thread in this process."""

    EXTENSION = "cocreate.notifier"

    def __init__(self, app: Flask) -> None:
        super().__init__(app, "notifier", "NOTIFIER_THREAD", "NOTIFIER_POLL_INTERVAL")

    def notifier(self) -> Notifier:
        return Notifier(self.app, db.engine, self.app.config["NOTIFIER_BATCH_SIZE"])

    def make_step(self) -> Callable[[], bool]:
        notifier = self.notifier()
        return lambda: notifier.run_once() is not None


get_notifier_runtime = NotifierRuntime.of
