"""A missing or broken index: a clear log line, a rebuild in the background, a 503 for
search meanwhile, and every other page still served. A bug is not taken for one."""

from __future__ import annotations

import gc
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from forum.extensions import db
from forum.search import services
from forum.search.bounded import Scan
from forum.search.rebuild import rebuild, rebuild_if_unusable
from forum.search.runtime import get_runtime
from forum.search.schema import META_KEY
from tests.integration.search.helpers import Records, Writer

DEADLINE = 30.0  # seconds; a rebuild of a handful of threads takes well under one


def wait_until_searchable(client: FlaskClient, query: str) -> str:
    """Poll /search until it answers 200 (after the background rebuild)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        response = client.get(f"/search?q={query}")
        if response.status_code == 200:
            return response.get_data(as_text=True)
        assert response.status_code == 503
        time.sleep(0.05)
    raise AssertionError("the index was not rebuilt in time")


def current_dir(app: Flask) -> Path:
    store = get_runtime(app).store
    return store.root / store.current_version()


def break_missing(app: Flask, search_index_dir: Path) -> None:
    shutil.rmtree(search_index_dir)


def break_pointer(app: Flask, search_index_dir: Path) -> None:
    (search_index_dir / "current").write_text("../../etc/passwd\n")


def break_version_dir(app: Flask, search_index_dir: Path) -> None:
    shutil.rmtree(current_dir(app))


def break_table_of_contents(app: Flask, search_index_dir: Path) -> None:
    for toc in current_dir(app).glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x80\x04 this is not a pickle")


def break_segments(app: Flask, search_index_dir: Path) -> None:
    for segment in current_dir(app).glob("*.seg"):
        segment.unlink()


def break_truncated_segments(app: Flask, search_index_dir: Path) -> None:
    """Cut short, as a full disk or a bad copy leaves them (segments are memory-mapped)."""
    for segment in current_dir(app).glob("*.seg"):
        with segment.open("r+b") as handle:
            handle.truncate(segment.stat().st_size // 2)


def break_meta(app: Flask, search_index_dir: Path) -> None:
    writer = get_runtime(app).store.open_current().index.writer()
    writer.delete_by_term("key", META_KEY)
    writer.commit()


# Whoosh leaves a broken table of contents' file open when it refuses it; the file is
# closed when collected, which the test does itself, so that the warning of its closing
# is this test's (and ignored) rather than whichever test the collector runs in later.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", [break_missing, break_pointer, break_version_dir,
                                    break_table_of_contents, break_segments,
                                    break_truncated_segments, break_meta])
def test_a_broken_index_is_rebuilt_while_the_site_keeps_serving(
    app: Flask, client: FlaskClient, write: Writer, index: Callable[[], int],
    search_index_dir: Path, search_log: Records, damage: Callable[[Flask, Path], None],
) -> None:
    write.thread("Burr grinder", "Conical burrs")
    index()
    assert client.get("/search?q=burr").status_code == 200
    damage(app, search_index_dir)
    get_runtime(app).forget_searcher()  # as a process starting now would
    response = client.get("/search?q=burr")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Search is temporarily unavailable" in html and 'class="site-header"' in html
    assert response.headers["Retry-After"] == "30"
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert "Conical <mark>burrs</mark>" in wait_until_searchable(client, "burr")
    assert any("Rebuilding it in the background" in message for message in search_log.messages)
    assert any("rebuilt" in message or "built" in message for message in search_log.messages)
    gc.collect()


def test_no_index_at_all_on_a_fresh_install(
    client: FlaskClient, write: Writer, search_index_dir: Path, search_log: Records
) -> None:
    write.thread("First thread", "hello world")
    assert not search_index_dir.exists()
    response = client.get("/search?q=hello", headers={"HX-Request": "true"})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True)
    assert "/c/acme/t/1-first-thread" in wait_until_searchable(client, "hello")
    assert any("missing" in message for message in search_log.messages)


def test_a_rebuild_keeps_the_previous_version_and_removes_older_ones(
    app: Flask, write: Writer, index: Callable[[], int], search_index_dir: Path
) -> None:
    write.thread("Versions", "one")
    store = get_runtime(app).store
    versions = [rebuild(store, db.engine).version for _ in range(3)]
    assert store.current_version() == versions[-1]
    assert sorted(path.name for path in search_index_dir.glob("v*")) == versions[1:]
    assert not list(search_index_dir.glob("build-*"))


def test_an_automatic_rebuild_is_skipped_when_someone_else_rebuilt_first(
    app: Flask, write: Writer, search_index_dir: Path
) -> None:
    write.thread("Only once", "built")
    store = get_runtime(app).store
    first = rebuild_if_unusable(store, db.engine)
    assert first is not None
    assert rebuild_if_unusable(store, db.engine) is None
    assert store.current_version() == first.version


def failing(error: Exception, times: int) -> Callable[..., Scan]:
    """services.capped_search, failing with `error` on its first `times` calls."""
    real, calls = services.capped_search, []

    def capped_search(*args: Any, **kwargs: Any) -> Scan:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return real(*args, **kwargs)

    return capped_search


def test_index_files_that_cannot_be_read_are_opened_again_once(
    client: FlaskClient, write: Writer, index: Callable[[], int], search_log: Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write.thread("Burr grinder", "Conical burrs")
    index()
    monkeypatch.setattr(services, "capped_search",
                        failing(FileNotFoundError("_MAIN_3.seg went away"), times=1))
    response = client.get("/search?q=burr")
    assert response.status_code == 200
    assert "Conical <mark>burrs</mark>" in response.get_data(as_text=True)
    assert any("opening it again" in message for message in search_log.messages)


def test_index_files_that_stay_unreadable_make_search_unavailable(
    client: FlaskClient, write: Writer, index: Callable[[], int], search_log: Records,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write.thread("Burr grinder", "Conical burrs")
    index()
    monkeypatch.setattr(services, "capped_search",
                        failing(PermissionError("index directory not readable"), times=2))
    response = client.get("/search?q=burr")
    assert response.status_code == 503
    assert "Search is temporarily unavailable" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"
    assert any("could not be read: index directory not readable" in message
               for message in search_log.messages)
    assert client.get("/search?q=burr").status_code == 200  # readable again


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_a_bug_while_searching_is_logged_and_answered_500_not_503(
    client: FlaskClient, write: Writer, index: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
) -> None:
    write.thread("Burr grinder", "Conical burrs")
    index()
    monkeypatch.setattr(services, "capped_search",
                        failing(TypeError("a bug in the search pass"), times=1))
    with caplog.at_level(logging.ERROR):
        response = client.get("/search?q=burr", headers=headers)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html and "temporarily unavailable" not in html
    assert "Retry-After" not in response.headers
    logged = [record for record in caplog.records
              if record.getMessage() == "Unhandled error on GET /search"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert logged[0].exc_info and isinstance(logged[0].exc_info[1], TypeError)
    assert client.get("/search?q=burr").status_code == 200  # one failure, no lasting harm
