"""Whoosh indexes in memory, each pytest worker with a temporary directory of its own."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def own_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Whoosh's RamStorage sorts a writer's postings in `<tempdir>/MAIN.tmp`, one path
    for every process: two pytest workers writing in-memory indexes at once removed each
    other's files (FileNotFoundError). Each worker sorts in a directory of its own."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("whoosh"))
    yield
    tempfile.tempdir = previous
