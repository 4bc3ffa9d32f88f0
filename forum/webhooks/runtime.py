"""Running the webhook dispatcher and sender: a thread of `flask worker` or of the
development server."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from forum.background import BackgroundLoop
from forum.extensions import db
from forum.webhooks.dispatcher import Dispatcher
from forum.webhooks.sender import WebhookSender


class WebhookRuntime(BackgroundLoop):
    """One app's webhook thread in this process (its sender keeps a pool of its own)."""

    EXTENSION = "cocreate.webhooks"

    def __init__(self, app: Flask) -> None:
        super().__init__(app, "webhooks", "WEBHOOK_THREAD", "WEBHOOK_POLL_INTERVAL")
        self._senders: list[WebhookSender] = []

    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self.app, db.engine, self.app.config["NOTIFIER_BATCH_SIZE"])

    def sender(self) -> WebhookSender:
        sender = WebhookSender(self.app)
        self._senders.append(sender)
        return sender

    def run_until_idle(self) -> int:
        """Dispatch everything recorded, then send what is due (`flask worker --once`)."""
        self.dispatcher().run_until_idle()
        sender = self.sender()
        try:
            return len(sender.run_until_idle())
        finally:
            sender.close()
            self._senders.remove(sender)

    def make_step(self) -> Callable[[], bool]:
        dispatcher, sender = self.dispatcher(), self.sender()

        def step() -> bool:
            try:
                queued = dispatcher.run_once()
                return bool(sender.run_once()) or queued is not None
            finally:
                db.session.remove()

        return step

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        for sender in self._senders:
            sender.close()
        self._senders.clear()


get_webhook_runtime = WebhookRuntime.of
