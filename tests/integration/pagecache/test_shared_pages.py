"""Pages kept in Redis for every worker and node (PAGE_CACHE_URL): two apps stand for two
processes, each with its own local cache, on one database and one real Redis.

Skipped when no Redis answers at SHARED_PAGES_REDIS_URL (default redis://127.0.0.1:6379/14),
unless REDIS_REQUIRED=1 (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from forum.companies import privacy
from forum.pagecache.shared import SharedPages
from ideas import votes

CACHE = "X-Page-Cache"
REDIS_URL = os.environ.get("SHARED_PAGES_REDIS_URL", "redis://127.0.0.1:6379/14")
REQUIRED = os.environ.get("REDIS_REQUIRED") == "1"


@pytest.fixture
def redis_url(database_uri: str) -> Iterator[str]:
    """A Redis that answers, with no page of this test's database in it before or after
    (on PostgreSQL every test of a worker shares one database, and so one namespace)."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=2) as probe:
            probe.ping()
    except redis.RedisError as error:
        if REQUIRED:
            pytest.fail(f"REDIS_REQUIRED=1 but no Redis at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    SharedPages(REDIS_URL, database_uri).clear()
    yield REDIS_URL
    SharedPages(REDIS_URL, database_uri).clear()


@pytest.fixture
def two_processes(app_factory, redis_url) -> tuple[Flask, Flask]:
    settings = {"PAGE_CACHE_SECONDS": 60, "PAGE_CACHE_URL": redis_url}
    return app_factory(**settings), app_factory(**settings)


def board(idea) -> str:
    return f"/c/{idea.company.slug}/ideas"


def test_a_page_one_process_rendered_is_served_by_another_without_rendering(
        two_processes, make_idea, count_queries):
    first, second = two_processes
    idea = make_idea()
    rendered = first.test_client().get(board(idea))
    assert rendered.headers[CACHE] == "miss"
    with count_queries(second) as statements:
        shared = second.test_client().get(board(idea))
    assert shared.headers[CACHE] == "hit"
    assert shared.data == rendered.data and shared.headers["ETag"] == rendered.headers["ETag"]
    # The versions, and the company's id (once per process): the page came from Redis.
    assert len(statements) == 2 and "content_versions" in statements[-1]
    with count_queries(second) as statements:
        again = second.test_client().get(board(idea))
    assert again.headers[CACHE] == "hit" and len(statements) == 1  # now kept locally too


def test_after_a_write_no_process_serves_the_old_page(two_processes, make_idea, make_user):
    first, second = two_processes
    idea = make_idea()
    first.test_client().get(board(idea))
    second.test_client().get(board(idea))  # both hold the page now
    votes.cast_vote(make_user("bob"), idea)

    fresh = second.test_client().get(board(idea))
    assert fresh.headers[CACHE] == "miss"
    assert '<span class="vote-count">2</span>' in fresh.get_data(as_text=True)
    from_redis = first.test_client().get(board(idea))  # its own copy is outdated
    assert from_redis.headers[CACHE] == "hit" and from_redis.data == fresh.data


def test_a_signed_in_page_never_reaches_the_shared_store(
        two_processes, make_idea, make_user, database_uri):
    first, _second = two_processes
    idea = make_idea()
    make_user("carol")
    client = first.test_client()
    client.post("/signin", data={"login": "carol", "password": "correct horse battery"})
    assert client.get(board(idea)).status_code == 200
    store = SharedPages(REDIS_URL, database_uri)
    assert list(store.client.scan_iter(match=store.prefix + "*")) == []


def test_another_database_never_sees_these_pages(redis_url, database_uri):
    ours, theirs = SharedPages(redis_url, database_uri), SharedPages(redis_url, "sqlite:///x")
    key = ("http://localhost/", ())
    ours.put(key, (1, 2), 0.0, b"<p>ours</p>", "tag", "text/html", 5)
    assert ours.get(key) == ((1, 2), 0.0, b"<p>ours</p>", "tag", "text/html")
    assert theirs.get(key) is None


def test_what_is_not_a_page_in_redis_is_ignored(two_processes, make_idea, database_uri):
    first, second = two_processes
    idea = make_idea()
    first.test_client().get(board(idea))
    store = SharedPages(REDIS_URL, database_uri)
    for name in store.client.scan_iter(match=store.prefix + "*"):
        store.client.set(name, b"not json\n<p>forged</p>")
    answer = second.test_client().get(board(idea))
    assert answer.status_code == 200 and answer.headers[CACHE] == "miss"
    assert b"forged" not in answer.data


def test_pages_are_served_when_redis_does_not_answer(app_factory, make_idea, caplog):
    # A port nothing listens on: every page is rendered, and the store is not asked
    # again for a few seconds (one warning, not one per request).
    app = app_factory(PAGE_CACHE_SECONDS=60, PAGE_CACHE_URL="redis://127.0.0.1:9/0")
    idea = make_idea()
    client = app.test_client()
    answers = [client.get(board(idea)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers[CACHE] for a in answers] == ["miss", "hit", "hit"]
    warnings = [r for r in caplog.records if "Shared page cache unavailable" in r.message]
    assert len(warnings) == 1


def test_forgetting_every_page_without_redis_is_not_an_error(database_uri):
    # After a restore the pages are forgotten; a Redis that does not answer must not
    # fail the restore (the raised versions make its pages stale anyway).
    assert SharedPages("redis://127.0.0.1:9/0", database_uri).clear() == 0


def test_a_space_gone_private_is_not_served_from_redis(
        two_processes, make_idea, make_user, make_company):
    # Kept by one process (and so in Redis) while public; once the space is private,
    # neither process serves it to a visitor: it is a wrong address again.
    first, second = two_processes
    owner = make_user("olga")
    idea = make_idea(make_company("hush", owner=owner))
    from_redis = second.test_client()
    assert first.test_client().get(board(idea)).headers[CACHE] == "miss"
    assert from_redis.get(board(idea)).headers[CACHE] == "hit"
    assert privacy.set_privacy(owner, idea.company, True)
    assert from_redis.get(board(idea)).status_code == 404
    assert first.test_client().get(board(idea)).status_code == 404
