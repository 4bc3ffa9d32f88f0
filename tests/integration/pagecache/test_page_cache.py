"""Pages kept for signed-out visitors: served again while nothing changed, never stale
after a write in any process, never one person's page shown to another."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies import services as companies
from forum.database import write_transaction
from forum.extensions import db
from forum.pagecache.cache import SITE, company_scope, current_versions, thread_scope
from forum.pagecache.models import ContentVersion
from forum.threads import state
from ideas import votes
from ideas.models import Idea

CACHE = "X-Page-Cache"


@pytest.fixture(autouse=True)
def page_cache(app):
    app.config["PAGE_CACHE_SECONDS"] = 60


def board(idea) -> str:
    return f"/c/{idea.company.slug}/ideas"


def idea_page(idea) -> str:
    return f"/c/{idea.company.slug}/ideas/{idea.thread_id}-{idea.thread.slug}"


def test_a_visitor_gets_the_kept_page_until_something_is_written(
        client, make_idea, make_user, count_queries):
    idea = make_idea()
    first = client.get(board(idea))
    assert first.headers[CACHE] == "miss"
    with count_queries() as queries:
        again = client.get(board(idea))
    assert again.headers[CACHE] == "hit" and again.data == first.data
    assert len(queries) == 1  # the site's and the company's versions, nothing else

    votes.cast_vote(make_user("bob"), idea)
    after = client.get(board(idea))
    assert after.headers[CACHE] == "miss"
    assert '<span class="vote-count">2</span>' in after.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/", "/c/{slug}", "/c/{slug}/forum", "/c/{slug}/ideas", "/ideas",
    "/c/{slug}/roadmap", "{idea}", "{thread}", "/u/{author}",
])
def test_every_public_page_is_kept_and_holds_no_session_token(
        app_factory, make_idea, make_thread, path):
    idea = make_idea()
    thread = make_thread(idea.company)
    url = path.format(slug=idea.company.slug, idea=idea_page(idea),
                      thread=f"/c/{idea.company.slug}/t/{thread.id}-{thread.slug}",
                      author=idea.thread.author.username)
    # CSRF on, as in production: a form that made a token would make the page unshareable.
    client = app_factory(WTF_CSRF_ENABLED=True, PAGE_CACHE_SECONDS=60).test_client()
    assert client.get(url).headers[CACHE] == "miss"
    kept = client.get(url)
    assert kept.status_code == 200 and kept.headers[CACHE] == "hit"
    body = kept.get_data(as_text=True)
    assert "csrf" not in body.lower()
    assert "Set-Cookie" not in kept.headers


def test_a_signed_in_page_is_never_kept_nor_shown_to_anyone_else(
        app, client, auth, make_idea, make_user):
    idea = make_idea()
    make_user("carol", display_name="Carol Quinn")
    visitor = app.test_client()
    visitor.get(idea_page(idea))  # kept for visitors
    auth.signin("carol")
    mine = client.get(idea_page(idea))
    assert CACHE not in mine.headers
    assert "Carol Quinn" in mine.get_data(as_text=True)
    assert 'name="csrf-token"' in mine.get_data(as_text=True)
    theirs = visitor.get(idea_page(idea))
    assert theirs.headers[CACHE] == "hit"
    assert "Carol Quinn" not in theirs.get_data(as_text=True)


def test_the_voter_sees_their_vote_and_visitors_see_the_new_count(
        app, client, auth, make_idea, make_user):
    idea = make_idea()
    make_user("dana")
    visitor = app.test_client()
    assert ">1</span>" in visitor.get(idea_page(idea)).get_data(as_text=True)
    auth.signin("dana")
    voted = client.post(f"/c/{idea.company.slug}/ideas/{idea.thread_id}/vote",
                        data={"action": "cast"}, follow_redirects=True)
    assert 'aria-pressed="true"' in voted.get_data(as_text=True)
    assert '<span class="vote-count">2</span>' in voted.get_data(as_text=True)
    seen = visitor.get(idea_page(idea))
    assert seen.headers[CACHE] == "miss"
    assert '<span class="vote-count">2</span>' in seen.get_data(as_text=True)


def test_a_write_through_another_process_reaches_every_kept_page(
        app, app_factory, client, make_idea, make_user):
    idea = make_idea()
    voter_id, idea_id = make_user("erin").id, idea.id
    assert client.get(board(idea)).headers[CACHE] == "miss"
    assert client.get(board(idea)).headers[CACHE] == "hit"
    other = app_factory()  # another worker: its own engine, connections and cache
    with other.app_context():
        votes.cast_vote(db.session.get(User, voter_id), db.session.get(Idea, idea_id))
    seen = client.get(board(idea))
    assert seen.headers[CACHE] == "miss"
    assert '<span class="vote-count">2</span>' in seen.get_data(as_text=True)


def test_a_browser_revalidating_gets_304_until_the_page_changes(client, make_idea, make_user):
    idea = make_idea()
    first = client.get(board(idea))
    assert first.headers["Cache-Control"] == "no-cache" and "Cookie" in first.headers["Vary"]
    etag = first.headers["ETag"]
    unchanged = client.get(board(idea), headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    votes.cast_vote(make_user("finn"), idea)
    changed = client.get(board(idea), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_message_waiting_for_a_visitor_is_shown_not_the_kept_page(
        client, auth, make_company, make_user):
    make_company("acme")
    make_user("gina")
    client.get("/")
    assert client.get("/").headers[CACHE] == "hit"
    auth.signin("gina")
    signed_out = client.post("/signout", follow_redirects=True)
    assert CACHE not in signed_out.headers
    assert "signed out" in signed_out.get_data(as_text=True).lower()
    assert client.get("/").headers[CACHE] in ("hit", "miss")  # kept again, message gone


def test_an_htmx_fragment_and_the_full_page_are_kept_apart(client, make_idea):
    idea = make_idea()
    page = client.get(board(idea) + "?page=1")
    fragment = client.get(board(idea) + "?page=1", headers={"HX-Request": "true"})
    assert fragment.headers[CACHE] == "miss"
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert client.get(board(idea) + "?page=1").data == page.data


def versions(idea) -> tuple[int, ...]:
    db.session.rollback()  # see what is committed now
    return current_versions((SITE, company_scope(idea.company_id),
                             thread_scope(idea.thread_id)))


def test_only_committed_changes_move_their_own_versions(app, client, make_idea, make_user):
    idea = make_idea()
    staff = make_user(admin=True)
    before = versions(idea)
    client.get(board(idea))
    client.get(idea_page(idea))
    assert versions(idea) == before  # reading changes nothing

    with pytest.raises(RuntimeError), write_transaction():
        state.set_pinned(staff, idea.thread, True)  # joins the outer transaction
        raise RuntimeError("rolled back")
    assert versions(idea) == before  # a rolled-back write leaves no trace

    state.set_pinned(staff, idea.thread, True)
    site, company, thread = before
    assert versions(idea) == (site, company + 1, thread + 1)  # the site's pages are kept


def test_a_vote_at_one_company_keeps_every_other_companys_pages(
        client, make_idea, make_user):
    """The site-wide version used to be bumped by every write: on an active site no
    visitor ever got a kept page."""
    here, elsewhere = make_idea(), make_idea()
    for idea in (here, elsewhere):
        assert client.get(board(idea)).headers[CACHE] == "miss"
        assert client.get(idea_page(idea)).headers[CACHE] == "miss"
    votes.cast_vote(make_user("hana"), here)
    assert client.get(board(elsewhere)).headers[CACHE] == "hit"
    assert client.get(idea_page(elsewhere)).headers[CACHE] == "hit"
    fresh = client.get(board(here))
    assert fresh.headers[CACHE] == "miss"
    assert '<span class="vote-count">2</span>' in fresh.get_data(as_text=True)
    assert client.get(idea_page(here)).headers[CACHE] == "miss"


def test_a_reply_keeps_the_other_threads_of_its_company(client, make_idea, make_thread,
                                                         make_reply):
    idea = make_idea()
    thread = make_thread(idea.company)
    thread_page = f"/c/{idea.company.slug}/t/{thread.id}-{thread.slug}"
    for page in (idea_page(idea), thread_page):
        client.get(page)
    make_reply(thread, body="A new reply here")
    assert client.get(idea_page(idea)).headers[CACHE] == "hit"
    assert "A new reply here" in client.get(thread_page).get_data(as_text=True)


def test_a_change_that_shows_everywhere_reaches_every_page(client, admin, make_idea):
    idea = make_idea()
    client.get(idea_page(idea))
    accounts.update_profile(idea.thread.author, idea.thread.author, "Renamed Person", "")
    assert client.get(idea_page(idea)).headers[CACHE] == "miss"
    client.get(idea_page(idea))
    companies.update_company(admin, idea.company, name="Renamed Company", tagline="",
                             description="", website="")
    seen = client.get(idea_page(idea))
    assert seen.headers[CACHE] == "miss" and "Renamed Company" in seen.get_data(as_text=True)


def test_pages_across_companies_are_kept_only_briefly(app, client, make_idea, make_user,
                                                      monkeypatch):
    idea = make_idea()
    client.get("/ideas")
    assert client.get("/ideas").headers[CACHE] == "hit"
    votes.cast_vote(make_user("ivan"), idea)
    assert client.get("/ideas").headers[CACHE] == "hit"  # not told of every company's votes
    app.config["PLATFORM_PAGE_SECONDS"] = 0
    assert client.get("/ideas").headers[CACHE] == "miss"


def test_turned_off_every_page_is_rendered(app, client, make_idea):
    app.config["PAGE_CACHE_SECONDS"] = 0
    idea = make_idea()
    client.get(board(idea))
    assert CACHE not in client.get(board(idea)).headers


def test_a_version_read_inside_a_snapshot_is_the_snapshots_own(app, app_factory, make_idea,
                                                                make_user):
    idea = make_idea()
    voter_id, idea_id = make_user("erin").id, idea.id
    scope = (company_scope(idea.company_id),)
    db.session.commit()
    (before,) = current_versions(scope)  # no transaction open: a connection of its own
    db.session.get(User, voter_id)  # the request's session has begun reading
    other = app_factory()  # another worker writes meanwhile
    with other.app_context():
        votes.cast_vote(db.session.get(User, voter_id), db.session.get(Idea, idea_id))
    # A page rendered from this session shows what its snapshot shows, so it must be kept
    # under that snapshot's version (on PostgreSQL each statement sees the latest commit).
    (seen,) = current_versions(scope)
    assert seen == db.session.scalar(select(ContentVersion.version).where(
        ContentVersion.scope == scope[0]))
    assert seen == (before if db.engine.dialect.name == "sqlite" else before + 1)
    db.session.rollback()
    assert current_versions(scope) == (before + 1,)
