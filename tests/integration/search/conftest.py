"""Search fixtures: a writer, the indexer, the search API (the index directory of each
test is tests/conftest.py's `search_index_dir`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from forum.accounts.models import User
from forum.companies.models import Company
from forum.search import services
from forum.search.runtime import stop_background_threads
from tests.integration.search.helpers import Records, Writer


@pytest.fixture
def company(make_company: Callable[..., Company]) -> Company:
    return make_company("acme", name="Acme Coffee")


@pytest.fixture
def write(company: Company, make_user: Callable[..., User]) -> Writer:
    return Writer(company, make_user("alice"))


@pytest.fixture
def index(run_indexer: Callable[[], int]) -> Callable[[], int]:
    """`index()`: build the index if there is none, then apply the whole event log."""
    return run_indexer


@pytest.fixture
def find() -> Callable[..., services.SearchResults]:
    """`find("words", sort=..., status=...)`: the public search API, as a visitor."""

    def run(text: str, **filters: Any) -> services.SearchResults:
        return services.search(text, viewer=AnonymousUserMixin(), **filters)

    return run


@pytest.fixture(autouse=True)
def _stop_background_threads(app_factory: Callable[..., Flask]) -> Iterator[None]:
    """Indexer and rebuild threads end with their test, before its apps and database go
    (depending on app_factory makes this teardown run before that one's)."""
    yield
    stop_background_threads(timeout=60)


@pytest.fixture
def search_log() -> Iterator[Records]:
    logger = logging.getLogger("forum.search")
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)
