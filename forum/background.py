"""Worker loops: the notifier and the mail sender, as threads of `flask worker` or of
the development server. Each loop runs one step after another while there is work, and
waits its poll interval when there is none or when the database is away."""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Self

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from forum.web import background_thread_wanted

_loops: weakref.WeakSet[BackgroundLoop] = weakref.WeakSet()


class BackgroundLoop:
    """One app's loop of `step` in one thread of this process. `step()` answers whether
    it did something (then it runs again at once). Each kind lives in the app's
    extensions under its EXTENSION name."""

    EXTENSION = ""

    @classmethod
    def of(cls, app: Flask | None = None) -> Self:
        """This kind of loop of `app` (the current app by default)."""
        loop: Self = (app if app is not None else current_app).extensions[cls.EXTENSION]
        return loop

    def __init__(self, app: Flask, name: str, setting: str, interval_setting: str) -> None:
        self.app = app
        self.name = name
        self.setting = setting
        self.interval_setting = interval_setting
        self.decided = False
        self.log = logging.getLogger(f"forum.{name}")
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        _loops.add(self)

    def make_step(self) -> Callable[[], bool]:
        raise NotImplementedError

    def start(self) -> bool:
        """Start the thread once per app and process; False if it runs already."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self.run_forever, args=(self._stop,),
                                            name=self.name, daemon=True)
            self._thread.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self, stop: threading.Event) -> None:
        """Step while there is work, then look again every poll interval."""
        interval = self.app.config[self.interval_setting]
        with self.app.app_context():
            step = self.make_step()
            self.log.info("%s started", self.name.capitalize())
            while not stop.is_set():
                try:
                    busy = step()
                except OperationalError as error:  # the database is away: try again later
                    self.log.warning("%s could not reach the database: %s",
                                     self.name.capitalize(), error.orig)
                    busy = False
                except Exception:
                    self.log.exception("%s failed; retrying", self.name.capitalize())
                    busy = False
                if not busy:
                    stop.wait(interval)
            self.log.info("%s stopped", self.name.capitalize())

    def start_on_first_request(self) -> None:
        """Its setting: True, False, or None for "under the development server"."""
        if self.decided:
            return
        self.decided = True
        if background_thread_wanted(self.setting):
            self.start()


@atexit.register
def stop_background_loops(timeout: float = 10.0) -> None:
    for loop in list(_loops):
        loop.stop(timeout)
