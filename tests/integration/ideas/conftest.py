"""A live gunicorn: several worker processes serving this test's database over real HTTP;
and Acme, its team, and the idea and people the priority and segment tests share."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from forum.accounts import services as accounts
from ideas.models import Idea
from tests.conftest import PASSWORD
from tests.helpers import reload

ROOT = Path(__file__).resolve().parents[3]
STARTUP_DEADLINE = 60.0  # seconds for the workers to import the app on a slow machine
STOP_DEADLINE = 30.0
SERVER_PROBLEMS = ("Traceback", "[ERROR]", "[CRITICAL]")


class Gunicorn:
    """`gunicorn wsgi:app` with several workers, its output in a log file."""

    def __init__(self, database_uri: str, tmp_path: Path, workers: int, threads: int,
                 name: str = "gunicorn") -> None:
        self.log_path = tmp_path / f"{name}.log"
        env = {key: value for key, value in os.environ.items()
               if key != "GUNICORN_CMD_ARGS"}  # nothing outside the test picks the settings
        env.update(DATABASE_URL=database_uri, SECRET_KEY="live-test-secret",  # every worker
                   RATELIMIT_ENABLED="0", SEARCH_INDEXER_THREAD="0", PYTHONUNBUFFERED="1",
                   COCREATE_INSTANCE_DIR=str(tmp_path), SEARCH_INDEX_DIR=str(tmp_path / "search"))
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
                   "--threads", str(threads), "--bind", "127.0.0.1:0",  # the kernel picks a port
                   "--graceful-timeout", "10", "--no-control-socket", "wsgi:app"]
        with self.log_path.open("w") as log:
            self._process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                             stderr=subprocess.STDOUT)
        self.url = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while not self._healthy():
            if self._process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self._process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz in time:\n{self.log()}")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        if not self.url:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.log())
            if not found:
                return False
            self.url = found.group(1)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.url}/healthz", timeout=5) as response:
                return response.status == 200
        except urllib.error.HTTPError as error:
            error.close()
            return False
        except OSError:
            return False

    def stop(self) -> str:
        """Stop gracefully (SIGKILL if it hangs) and return everything it logged."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                pytest.fail(f"gunicorn ignored SIGTERM:\n{self.log()}")
        return self.log()


@pytest.fixture
def live_gunicorn(
    app: Flask, database_uri: str, tmp_path: Path
) -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn on this test's database once the test has written its data.

    `app` keeps the test's context for services and reads. Teardown stops the server and
    fails the test if any worker logged a traceback or an error.
    """
    servers: list[Gunicorn] = []

    def start(workers: int = 4, threads: int = 4) -> Gunicorn:
        server = Gunicorn(database_uri, tmp_path, workers, threads, f"gunicorn-{len(servers)}")
        servers.append(server)
        server.wait_until_healthy()
        return server

    yield start
    for server in servers:
        output = server.stop()
        problems = [word for word in SERVER_PROBLEMS if word in output]
        assert not problems, f"gunicorn logged {problems}:\n{output}"


@pytest.fixture
def acme(make_company: Callable[..., Any]) -> Any:
    """A company whose product team is tess (the inbox and changelog tests)."""
    return make_company("acme", name="Acme")


@pytest.fixture
def team(acme: Any, make_staff: Callable[..., Any]) -> Any:
    return make_staff(acme, "team", "tess")


def person(username: str, domain: str = "example.com"):
    return accounts.register(username, f"{username}@{domain}", PASSWORD, email_confirmed=True)


def score(idea: Idea) -> float:
    reload(idea)
    return round(idea.priority_score, 6)


@pytest.fixture
def idea(acme, make_idea, make_user):
    """An idea with its proposer's vote: the proposer is in no segment."""
    return make_idea(acme, author=make_user("proposer"), title="Single sign-on")
