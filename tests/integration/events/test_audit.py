"""The audit page at /admin/audit: who did what, when, with the before and after, and a
filter for what staff and site admins did to other people's content and to settings."""

from __future__ import annotations

import pytest

from forum.events.queries import Change, describe
from forum.moderation import hiding, reviews
from forum.threads import posting
from tests.helpers import assert_queries_stay_flat

AUDIT = "/admin/audit"
STAFF_ONLY = "/admin/audit?staff=1"


@pytest.fixture
def history(admin, make_company, make_staff, make_user, make_thread, make_reply):
    """A customer's post and edit, a moderator's own reply removed by them, a hide with a
    reason and a threshold change: the staff filter keeps only the last two."""
    company = make_company("acme")
    moderator = make_staff(company, "moderator", "mona")
    author = make_user("carol")
    thread = make_thread(company, author=author, title="Where is the filter?")
    reply = make_reply(thread, author=author, body="Call me on 555 0100")
    posting.edit_post(author, reply, "Call me on 555 0100, evenings")
    own = make_reply(thread, author=moderator, body="Looking into it.")
    posting.delete_post(moderator, own)
    hiding.hide_post(moderator, reply, "personal_information", "A phone number.")
    reviews.set_flag_threshold(moderator, company, 5)
    return reply


def test_the_old_address_moves_for_good_keeping_the_filters(client, auth, admin):
    auth.signin("root")
    response = client.get("/admin/events?type=post.hidden&company=acme")
    assert response.status_code == 301
    assert response.headers["Location"] == "/admin/audit?type=post.hidden&company=acme"
    assert client.get("/admin/events").headers["Location"] == "/admin/audit"


def test_the_page_shows_before_and_after_and_links_a_hide_to_its_post(client, auth, history):
    auth.signin("root")
    page = client.get(AUDIT).get_data(as_text=True)
    assert "threshold: 3 → 5" in page
    assert "reason: A phone number." in page and "category: personal information" in page
    assert f'-where-is-the-filter#post-{history.number}">Post 2 in' in page
    assert "Post 2 in “Where is the filter?”" in page


def test_staff_and_admin_actions_only(client, auth, history, make_user):
    auth.signin("root")
    page = client.get(STAFF_ONLY).get_data(as_text=True)
    assert "post.hidden</span>" in page and "company.flag_threshold_set</span>" in page
    assert page.count("post.hidden</span>") == 1  # the moderator's own removal is theirs
    for everyones in ("post.edited</span>", "post.created</span>", "thread.started</span>",
                      "user.registered</span>"):
        assert everyones not in page
    assert "company.created</span>" in page  # a site admin opened the company
    everything = client.get(AUDIT).get_data(as_text=True)
    assert everything.count("post.hidden</span>") == 2 and "post.edited</span>" in everything
    checked = client.get("/admin/audit?staff=1&type=post.hidden&company=acme&actor=mona")
    assert checked.status_code == 200 and 'name="staff" value="1" checked' in \
        checked.get_data(as_text=True)


def test_the_staff_filter_costs_the_same_at_any_size(client, auth, admin, make_company,
                                                      make_staff, make_user, make_thread,
                                                      make_reply, count_queries):
    company = make_company("acme")
    moderator = make_staff(company, "moderator", "mona")
    thread = make_thread(company, title="Kettles")
    auth.signin("root")

    def grow(n: int) -> None:
        for _ in range(n):
            reply = make_reply(thread, author=make_user())
            hiding.hide_post(moderator, reply, "spam", "Advertising.")
            reviews.set_flag_threshold(moderator, company, n)

    assert_queries_stay_flat(client, count_queries, STAFF_ONLY, grow)


def test_changes_are_pairs_and_lists_of_ids_are_details():
    changes, details = describe({"threshold": [3, 5], "thread_ids": [1, 2],
                                 "changes": {"name": ["Acme", "Acme Inc"]}, "reason": "Why",
                                 "empty": ""})
    assert changes == [Change("threshold", 3, 5), Change("name", "Acme", "Acme Inc")]
    assert details == [("thread_ids", [1, 2]), ("reason", "Why")]
