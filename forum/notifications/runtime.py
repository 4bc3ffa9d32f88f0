"""Running the notifier: a thread of the development server, or of `flask worker`."""

from __future__ import annotations

import atexit
import logging
import threading
import weakref

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from forum.extensions import db
from forum.notifications.notifier import Notifier
from forum.web import background_thread_wanted

EXTENSION = "cocreate.notifier"
log = logging.getLogger("forum.notifications")
_runtimes: weakref.WeakSet[NotifierRuntime] = weakref.WeakSet()


class NotifierRuntime:
    """One app's notifier thread in this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.decided = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        _runtimes.add(self)

    def notifier(self) -> Notifier:
        return Notifier(self.app, db.engine, self.app.config["NOTIFIER_BATCH_SIZE"])

    def start(self) -> bool:
        """Start the thread once per app and process; False if it runs already."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self.run_forever, args=(self._stop,),
                                            name="notifier", daemon=True)
            self._thread.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self, stop: threading.Event) -> None:
        """Drain the log, then look again every NOTIFIER_POLL_INTERVAL seconds."""
        interval = self.app.config["NOTIFIER_POLL_INTERVAL"]
        with self.app.app_context():
            notifier = self.notifier()
            log.info("Notifier started")
            while not stop.is_set():
                try:
                    batch = notifier.run_once()
                except OperationalError as error:  # the database is away: try again later
                    log.warning("Notifier could not read the event log: %s", error.orig)
                    batch = None
                except Exception:
                    log.exception("Notifier failed; retrying")
                    batch = None
                if batch is None:
                    stop.wait(interval)
            log.info("Notifier stopped")


@atexit.register
def stop_notifier_threads(timeout: float = 10.0) -> None:
    for runtime in list(_runtimes):
        runtime.stop(timeout)


def get_notifier_runtime(app: Flask | None = None) -> NotifierRuntime:
    target = app if app is not None else current_app
    runtime: NotifierRuntime = target.extensions[EXTENSION]
    return runtime


def start_notifier_on_first_request() -> None:
    """NOTIFIER_THREAD: True, False, or None for "under the development server"."""
    runtime = get_notifier_runtime()
    if runtime.decided:
        return
    runtime.decided = True
    if background_thread_wanted("NOTIFIER_THREAD"):
        runtime.start()
