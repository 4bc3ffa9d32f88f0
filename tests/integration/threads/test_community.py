"""Categories, posting limits, profiles, and fixed query counts per page."""

from __future__ import annotations

import pytest

from tests.helpers import assert_queries_stay_flat, reload


def test_moderators_manage_categories(client, auth, make_company, make_staff):
    company = make_company("acme")
    make_staff(company, "moderator", "mod")
    auth.signin("mod")
    response = client.post("/c/acme/manage/categories",
                           data={"name": "Help & support", "slug": "help", "position": 1})
    assert response.status_code == 302
    page = client.get("/c/acme/forum").get_data(as_text=True)
    assert "Help &amp; support" in page
    clash = client.post("/c/acme/manage/categories",
                        data={"name": "Other help", "slug": "help", "position": 2})
    assert clash.status_code == 422
    assert "already uses that slug" in clash.get_data(as_text=True)


def test_team_members_cannot_manage_categories(client, auth, make_company, make_staff):
    company = make_company("acme")
    make_staff(company, "team", "theo")
    auth.signin("theo")
    assert client.get("/c/acme/manage/categories").status_code == 403
    assert client.post("/c/acme/manage/categories",
                       data={"name": "Sneaky", "slug": "sneaky"}).status_code == 403


def test_a_category_with_threads_is_not_removed(client, auth, make_thread, make_staff):
    thread = make_thread()
    make_staff(thread.company, "owner", "boss")
    auth.signin("boss")
    response = client.post(
        f"/c/{thread.company.slug}/manage/categories/{thread.category_id}/delete",
        follow_redirects=True)
    assert "Move this category" in response.get_data(as_text=True)
    reload(thread)
    assert thread.category_id is not None


def post(client, thread, body):
    return client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply", data={"body": body})


def test_minimum_gap_between_posts(app_factory, app, make_thread, make_user):
    thread = make_thread()
    make_user("alice")
    client = app_factory(POST_MIN_INTERVAL_SECONDS=60).test_client()
    client.post("/signin", data={"login": "alice", "password": "correct horse battery"})
    assert post(client, thread, "first").status_code == 302
    second = post(client, thread, "second")
    assert second.status_code == 429
    assert "posting very quickly" in second.get_data(as_text=True)


def test_the_same_text_twice_is_refused(client, auth, make_thread, make_user):
    thread = make_thread()
    make_user("alice")
    auth.signin("alice")
    assert post(client, thread, "Me too!").status_code == 302
    again = post(client, thread, "  Me too!  ")
    assert again.status_code == 429
    assert "exactly this a few minutes ago" in again.get_data(as_text=True)


def test_new_accounts_have_lower_daily_caps(app_factory, app, make_thread, make_user):
    thread = make_thread()
    make_user("newbie")
    client = app_factory(NEW_ACCOUNT_POSTS_PER_DAY=2).test_client()
    client.post("/signin", data={"login": "newbie", "password": "correct horse battery"})
    assert [post(client, thread, f"note {n}").status_code for n in range(3)] == [302, 302, 429]
    assert "New accounts can post 2 times a day" in post(client, thread, "x").get_data(
        as_text=True)


def test_staff_are_not_flood_limited(app_factory, app, make_thread, make_staff):
    thread = make_thread()
    make_staff(thread.company, "team", "theo")
    client = app_factory(POST_MIN_INTERVAL_SECONDS=60).test_client()
    client.post("/signin", data={"login": "theo", "password": "correct horse battery"})
    assert [post(client, thread, f"answer {n}").status_code for n in range(3)] == [302] * 3


def test_profile_lists_threads_and_replies_across_companies(client, make_user, make_thread,
                                                            make_company, make_reply):
    alice = make_user("alice")
    first = make_thread(make_company("acme", name="Acme"), author=alice, title="Acme question")
    other = make_thread(make_company("zeta", name="Zeta"), title="Zeta question")
    make_reply(other, author=alice, body="My answer at Zeta")
    page = client.get("/u/alice").get_data(as_text=True)
    assert first.title in page and "Acme" in page
    assert "Zeta question" in page and "My answer at Zeta" in page


@pytest.mark.parametrize("path", ["forum", "thread", "company", "profile"])
def test_pages_run_a_fixed_number_of_queries(client, make_thread, make_reply, make_user,
                                             make_company, make_staff, count_queries, path):
    company = make_company("acme")
    staff = make_staff(company, "team")
    author = make_user("alice")

    def grow(times: int) -> None:
        for _ in range(times):
            thread = make_thread(company, author=author)
            make_reply(thread, author=make_user())
            make_reply(thread, author=staff, official=True)
        for _ in range(times * 3):
            make_reply(first, author=make_user())

    first = make_thread(company, author=author, title="The long-running one")
    urls = {"forum": "/c/acme/forum", "company": "/c/acme", "profile": "/u/alice",
            "thread": f"/c/acme/t/{first.id}-{first.slug}"}

    assert_queries_stay_flat(client, count_queries, urls[path], grow)
