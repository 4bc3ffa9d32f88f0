"""Posts kept per revision (forum/threads/fragments.py): never stale, never a hidden post,
and a page identical to one rendered without them."""

from __future__ import annotations

import pytest
from flask import Flask

from forum.accounts import services as accounts
from forum.extensions import db
from forum.moderation import hiding
from forum.threads import posting, state
from ideas import services as idea_services
from tests.conftest import PASSWORD
from tests.helpers import without_csrf


def page_url(thread):
    return f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}"


def kept_posts(app: Flask) -> int:
    return len(app.extensions["post_fragments"])


@pytest.fixture
def reader(client, auth, make_user):
    """A signed-in customer: their pages are rendered for them, never kept whole."""
    make_user("carol")
    auth.signin("carol")
    return client


def test_an_edited_post_shows_its_new_body_at_once(app, reader, make_user, make_thread,
                                                  make_reply):
    thread = make_thread()
    bob = make_user("bob")
    reply = make_reply(thread, author=bob, body="The first wording of it")
    assert "The first wording of it" in reader.get(page_url(thread)).get_data(as_text=True)
    assert kept_posts(app) == 2

    posting.edit_post(bob, reply, "The second wording of it")
    page = reader.get(page_url(thread)).get_data(as_text=True)
    assert "The second wording of it" in page
    assert "The first wording of it" not in page


def test_a_renamed_author_shows_the_new_name(reader, make_user, make_thread, make_reply):
    thread = make_thread()
    bob = make_user("bob")
    make_reply(thread, author=bob, body="Hello there")
    assert "Robert Tables" not in reader.get(page_url(thread)).get_data(as_text=True)

    accounts.update_profile(bob, bob, "Robert Tables", "")
    page = reader.get(page_url(thread)).get_data(as_text=True)
    assert "<strong>Robert Tables</strong>" in page
    assert '<span class="avatar avatar-sm" aria-hidden="true">R</span>' in page


def test_a_hidden_post_is_never_served_from_what_was_kept(app, reader, make_user, make_thread,
                                                         make_reply, make_staff):
    thread = make_thread()
    reply = make_reply(thread, body="Call me on 555 0100")
    assert "555 0100" in reader.get(page_url(thread)).get_data(as_text=True)

    hiding.hide_post(make_staff(thread.company, "moderator"), reply, "personal_information")
    page = reader.get(page_url(thread)).get_data(as_text=True)
    assert "555 0100" not in page
    assert "Removed by" in page and "moderators" in page


def scene(make_user, make_company, make_staff, make_thread, make_reply, make_idea):
    """A thread and an idea with what a post can show: an official reply by a verified
    member of staff, an accepted answer, an edit, the thread author's badge, a status change."""
    company = make_company("acme", name="Acme")
    company.verified_domain = "example.com"
    db.session.commit()
    owner = make_staff(company, "owner", "olga")
    asker = make_user("asker")
    thread = make_thread(company, author=asker)
    answer = make_reply(thread, author=owner, body="Hold **descale** for 3 s.", official=True)
    make_reply(thread, author=asker, body="Thanks, that worked")
    edited = make_reply(thread, body="Frist")
    posting.edit_post(edited.author, edited, "First, *edited*")
    state.accept_answer(owner, thread, answer)
    idea = make_idea(company, author=asker)
    make_reply(idea.thread, body="Me too, please")
    idea_services.change_status(owner, idea, "planned", "On the list.")
    return thread, idea.thread


@pytest.mark.parametrize("viewer", [None, "carol", "olga", "asker"])
def test_pages_are_identical_with_and_without_kept_posts(app_factory, make_user, make_company,
                                                        make_staff, make_thread, make_reply,
                                                        make_idea, viewer):
    thread, idea_thread = scene(make_user, make_company, make_staff, make_thread, make_reply,
                                make_idea)
    make_user("carol")
    urls = [page_url(thread), f"/c/acme/ideas/{idea_thread.id}-{idea_thread.slug}"]

    def pages(**config: object) -> list[str]:
        built = app_factory(PAGE_CACHE_SECONDS=0, **config)
        client = built.test_client()
        if viewer:
            client.post("/signin", data={"login": viewer, "password": PASSWORD})
            client.get("/home")  # its "Signed in" message shown
        return [without_csrf(client.get(url).get_data(as_text=True))
                for _ in range(2) for url in urls]

    kept = pages()
    assert kept[:2] == kept[2:]  # rendered, then from what was kept
    assert "Accepted answer" in kept[0] and "First, <em>edited</em>" in kept[0]
    assert "✓ Verified" in kept[0] and "changed the status to" in kept[1]
    assert kept == pages(POST_FRAGMENT_CHARS=0)
