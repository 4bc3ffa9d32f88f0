"""gunicorn.conf.py under a real gunicorn: a connection a client reuses after an idle gap
longer than gunicorn's default keep-alive (2 s) still gets its answer, each worker
disposes of the database engines it inherited from the preloading master, sets the app out
of the garbage collector's passes, and reads the search index before its first request."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"
IDLE_SECONDS = 3.0  # longer than gunicorn's default keep-alive

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                                reason="gunicorn is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(database_uri: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, DATABASE_URL=database_uri, SECRET_KEY="test-secret",
                SEARCH_INDEXER_THREAD="0", COCREATE_INSTANCE_DIR=str(tmp_path / "instance"),
                SEARCH_INDEX_DIR=str(tmp_path / "search"), **extra)


@contextmanager
def running(env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """The app under `gunicorn -c gunicorn.conf.py`, one worker, on a loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(CONF), "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "info", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def stopped_log(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    return process.communicate(timeout=30)[0]


@pytest.fixture(params=["sync", "gthread"])
def gunicorn(request: pytest.FixtureRequest, database_uri: str,
             tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """The app under gunicorn, one worker of each class the file allows, no index yet."""
    with running(app_env(database_uri, tmp_path, GUNICORN_WORKER_CLASS=request.param)
                 ) as served:
        yield served


def test_the_settings_keep_idle_connections_and_preload():
    settings = runpy.run_path(str(CONF))
    assert settings["keepalive"] > 2
    assert settings["timeout"] >= 30
    assert settings["preload_app"] is True
    assert settings["workers"] >= 2
    assert callable(settings["post_fork"])


def test_each_instance_has_a_control_socket_of_its_own(monkeypatch, tmp_path):
    """Not gunicorn's one path per user, which a second gunicorn on the machine takes over."""
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    monkeypatch.setenv("COCREATE_INSTANCE_DIR", str(tmp_path))
    assert runpy.run_path(str(CONF))["control_socket"] == str(tmp_path / "gunicorn.ctl")


def test_a_connection_reused_after_an_idle_gap_gets_its_answer(gunicorn):
    port, process = gunicorn
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/healthz")
    first = connection.getresponse()
    assert first.status == 200, first.read()
    first.read()
    # sync workers close every connection and say so; gthread keeps it alive.
    kept = None if first.getheader("Connection") == "close" else connection.sock
    time.sleep(IDLE_SECONDS)
    connection.request("GET", "/healthz")  # raises RemoteDisconnected if it was closed
    second = connection.getresponse()
    assert second.status == 200
    assert json.loads(second.read())["database"] == "ok"
    if kept is not None:
        assert connection.sock is kept  # the same connection, not a new one
    connection.close()

    log = stopped_log(process)
    booted = re.findall(r"Booting worker with pid: (\d+)", log)
    disposed = re.findall(r"Worker (\d+) disposed of (\d+) database engine", log)
    assert booted
    assert [pid for pid, _count in disposed] == booted
    assert all(int(count) >= 1 for _pid, count in disposed)
    assert re.findall(r"Worker (\d+) found no search index to read yet", log) == booted
    # The app's objects (its modules, some 190,000) are out of the collector's passes,
    # whose full collections otherwise walked them all (100 ms, bench/README.md).
    frozen = re.findall(r"Worker (\d+) set (\d+) objects of the app out of", log)
    assert [pid for pid, _count in frozen] == booted
    assert all(int(count) > 50_000 for _pid, count in frozen)


def test_each_worker_reads_the_search_index_before_its_first_request(
        database_uri: str, tmp_path: Path) -> None:
    env = app_env(database_uri, tmp_path)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "search", "reindex"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    with running(env) as (port, process):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/search?q=anything")
        assert connection.getresponse().status == 200
        log = stopped_log(process)
    booted = re.findall(r"Booting worker with pid: (\d+)", log)
    read = re.findall(r"Worker (\d+) read (\d+) search index segment\(s\) before", log)
    assert booted and [pid for pid, _segments in read] == booted
