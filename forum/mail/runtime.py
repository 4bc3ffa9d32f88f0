"""Running the mail sender: a thread of the development server, or of `flask worker`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from forum.background import BackgroundLoop
from forum.extensions import db
from forum.mail.sender import Mailer


class MailRuntime(BackgroundLoop):
    """One app's mail sender thread in this process."""

    EXTENSION = "cocreate.mailer"

    def __init__(self, app: Flask) -> None:
        super().__init__(app, "mailer", "MAIL_THREAD", "MAIL_POLL_INTERVAL")

    def mailer(self) -> Mailer:
        return Mailer(self.app)

    def make_step(self) -> Callable[[], bool]:
        mailer = self.mailer()

        def step() -> bool:
            try:
                return mailer.run_once().busy
            finally:
                db.session.remove()

        return step


get_mail_runtime = MailRuntime.of
