"""`flask search status | reindex | worker --once` through the CLI runner."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskCliRunner

from forum.search.runtime import get_runtime
from tests.integration.search.helpers import Writer, last_applied, newest_event


def test_status_without_an_index_says_how_to_build_one(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1
    assert "No usable search index" in result.output
    assert "flask search reindex" in result.output


def test_reindex_builds_and_reports(app: Flask, runner: FlaskCliRunner, write: Writer) -> None:
    thread = write.thread("Pour over", "Which kettle?")
    write.reply(thread, "A gooseneck kettle")
    write.idea("Pour over kit", "sell one")
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing threads" in result.output
    assert "Indexed 2 threads as 3 documents" in result.output
    version = get_runtime(app).store.current_version()
    assert f"Index {version} is now current, up to event {newest_event()}." in result.output


def test_status_reports_documents_last_id_and_backlog(
    app: Flask, runner: FlaskCliRunner, write: Writer, index: Callable[[], int]
) -> None:
    thread = write.thread("Pour over", "Which kettle?")
    write.reply(thread, "A gooseneck kettle")
    index()
    applied = newest_event()
    write.thread("Cold brew", "ratio?")
    write.thread("French press", "grind?")
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert "Documents: 2 (1 threads, 1 posts)" in result.output
    assert f"Last applied event: {applied}" in result.output
    assert "Backlog: 2 events" in result.output
    assert "Size on disk:" in result.output


def test_worker_once_applies_the_backlog(
    app: Flask, runner: FlaskCliRunner, write: Writer, index: Callable[[], int]
) -> None:
    index()
    write.thread("Cold brew", "ratio?")
    result = runner.invoke(args=["search", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Search worker stopped." in result.output
    assert last_applied(app) == newest_event()


def test_a_second_worker_refuses_to_start(
    app: Flask, runner: FlaskCliRunner, index: Callable[[], int]
) -> None:
    index()
    first = get_runtime(app).indexer()
    first.lock()
    try:
        result = runner.invoke(args=["search", "worker", "--once"])
    finally:
        first.unlock()
    assert result.exit_code == 1
    assert "another search indexer is running" in result.output
