"""What caches are told: every answer varies on the htmx headers that change it, and a
signed-in person's answers are never kept by anyone but their own browser, not even
briefly."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

HTMX_HEADERS = {"HX-Request", "HX-Boosted", "HX-History-Restore-Request"}


def vary(response) -> set[str]:
    return {name.strip() for name in response.headers.get("Vary", "").split(",")}


def cache_control(response) -> str:
    return response.headers.get("Cache-Control", "")


@pytest.fixture
def idea(make_idea, make_user):
    make_user("alice")
    return make_idea()


@pytest.mark.parametrize("headers", [
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
])
def test_pages_vary_on_every_htmx_header_that_changes_them(client, idea, headers):
    for path in ("/", f"/c/{idea.company.slug}/ideas", "/no/such/page"):
        response = client.get(path, headers=headers)
        assert vary(response) >= HTMX_HEADERS, path


def test_the_board_answers_differently_to_a_boosted_request(client, idea):
    """Why HX-Boosted belongs in Vary: the same URL and HX-Request, another body."""
    board = f"/c/{idea.company.slug}/ideas"
    fragment = client.get(board, headers={"HX-Request": "true"}).get_data(as_text=True)
    boosted = client.get(board, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" not in fragment and "<html" in boosted.get_data(as_text=True)
    assert "HX-Boosted" in vary(boosted)


def test_signing_in_is_not_kept_by_any_cache(client, idea):
    response = client.post("/signin", data={"login": "alice", "password": PASSWORD})
    assert response.status_code == 302 and "Set-Cookie" in response.headers
    assert cache_control(response) == "private, no-store"


@pytest.mark.parametrize(("kind", "path", "headers", "status"), [
    ("page", "/", {}, 200),
    ("idea page", "/c/{slug}/ideas/{thread_id}-{thread_slug}", {}, 200),
    ("fragment", "/c/{slug}/ideas", {"HX-Request": "true"}, 200),
    ("redirect", "/signin", {}, 302),
    ("redirect", "/c/{slug}/ideas/{thread_id}", {}, 301),
    ("error", "/no/such/page", {}, 404),
])
def test_signed_in_answers_are_private_and_never_stored(client, auth, idea, kind, path,
                                                        headers, status):
    auth.signin("alice")
    url = path.format(slug=idea.company.slug, thread_id=idea.thread_id,
                      thread_slug=idea.thread.slug)
    response = client.get(url, headers=headers)
    assert response.status_code == status, kind
    assert cache_control(response) == "private, no-store", kind
    assert vary(response) >= HTMX_HEADERS


def test_signing_out_is_not_kept_either(client, auth, idea):
    auth.signin("alice")
    response = client.post("/signout")
    assert response.status_code == 302 and "Set-Cookie" in response.headers
    assert cache_control(response) == "private, no-store"


def test_a_signed_in_visit_to_a_cached_page_is_private(app_factory, auth, idea):
    client = app_factory(PAGE_CACHE_SECONDS=60).test_client()
    board = f"/c/{idea.company.slug}/ideas"
    assert client.get(board).headers["X-Page-Cache"] == "miss"  # now kept for visitors
    client.post("/signin", data={"login": "alice", "password": PASSWORD})
    response = client.get(board)
    assert "X-Page-Cache" not in response.headers
    assert cache_control(response) == "private, no-store"


def test_signed_out_pages_are_not_private(client, app_factory, idea):
    for path in ("/", f"/c/{idea.company.slug}/ideas", f"/c/{idea.company.slug}/roadmap"):
        assert "private" not in cache_control(client.get(path)), path
    cached = app_factory(PAGE_CACHE_SECONDS=60).test_client()
    board = f"/c/{idea.company.slug}/ideas"
    for outcome in ("miss", "hit"):
        response = cached.get(board)
        assert response.headers["X-Page-Cache"] == outcome
        assert cache_control(response) == "no-cache"


def test_static_files_keep_their_own_cache_headers(client, auth, idea):
    auth.signin("alice")
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert "private" not in cache_control(response)
    response.close()
