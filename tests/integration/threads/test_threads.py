"""Starting threads, the forum pages, replying with and without htmx."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.events.models import Event
from forum.extensions import db
from forum.threads.models import Post, Thread
from forum.threads.posting import MAX_BODY
from tests.helpers import reload


def test_start_a_thread_through_the_form(client, auth, make_user, make_company, make_category):
    company = make_company("acme", name="Acme")
    category = make_category(company, "help")
    make_user("alice")
    auth.signin("alice")
    response = client.post("/c/acme/forum/new", data={
        "kind": "question", "category": category.id, "title": "Where is the descale button?",
        "body": "I looked **everywhere**."})
    assert response.status_code == 302
    thread = response.headers["Location"]
    assert "/c/acme/t/" in thread and thread.endswith("-where-is-the-descale-button")
    page = client.get(thread).get_data(as_text=True)
    assert "Where is the descale button?" in page
    assert "<strong>everywhere</strong>" in page
    forum = client.get("/c/acme/forum").get_data(as_text=True)
    assert "Where is the descale button?" in forum and "Question" in forum


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"title": ""}, 422, "This field is required."),
        ({"title": "Hey"}, 422, "at least 5 characters"),
        ({"title": "x" * 151}, 422, "150"),
        ({"body": ""}, 422, "This field is required."),
        ({"body": "x" * (MAX_BODY + 1)}, 422, "20000"),
        ({"kind": "idea"}, 422, "Not a valid choice"),
        ({"category": "999"}, 422, "Not a valid choice"),
    ],
)
def test_bad_threads_are_refused_and_nothing_is_saved(client, auth, make_user, make_company,
                                                      make_category, changes, status, message):
    company = make_company("acme")
    category = make_category(company)
    make_user("alice")
    auth.signin("alice")
    form = {"kind": "question", "category": category.id, "title": "A fine title",
            "body": "A fine body"} | changes
    response = client.post("/c/acme/forum/new", data=form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db_count(Thread) == 0


def test_a_category_of_another_company_is_refused(client, auth, make_user, make_company,
                                                  make_category):
    make_category(make_company("acme"))
    elsewhere = make_category(make_company("other"), "theirs")
    make_user("alice")
    auth.signin("alice")
    response = client.post("/c/acme/forum/new", data={
        "kind": "question", "category": elsewhere.id, "title": "A fine title", "body": "x"})
    assert response.status_code == 422
    assert db_count(Thread) == 0


def db_count(model) -> int:
    from forum.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_thread_url_is_canonical(client, make_thread):
    thread = make_thread()
    company = thread.company.slug
    assert client.get(f"/c/{company}/t/{thread.id}").status_code == 301
    assert client.get(f"/c/{company}/t/{thread.id}-wrong-slug").status_code == 301
    assert client.get(f"/c/{company}/t/{thread.id}-{thread.slug}").status_code == 200


def test_a_thread_is_only_found_under_its_own_company(client, make_thread, make_company):
    thread = make_thread()
    make_company("other")
    assert client.get(f"/c/other/t/{thread.id}-{thread.slug}").status_code == 404


def test_reply_without_javascript_redirects_to_the_new_post(client, auth, make_user,
                                                            make_thread):
    thread = make_thread()
    make_user("bob")
    auth.signin("bob")
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                           data={"body": "Try the *blue* button."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#post-2")
    reload(thread)
    assert (thread.reply_count, thread.post_count) == (1, 2)


def test_reply_with_htmx_returns_the_post_and_a_fresh_form(client, auth, make_user,
                                                           make_thread):
    thread = make_thread()
    make_user("bob")
    auth.signin("bob")
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                           data={"body": "In place!"}, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="post-2"' in body and "In place!" in body
    assert 'hx-swap-oob="true"' in body and "<html" not in body
    assert response.headers["Vary"].count("HX-Request") == 1


def test_a_reply_reads_the_thread_once(client, auth, make_user, make_thread, count_queries):
    thread = make_thread()
    make_user("bob")
    auth.signin("bob")
    url = f"/c/{thread.company.slug}/t/{thread.id}/reply"
    with count_queries() as queries:
        response = client.post(url, data={"body": "Counted."}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    reads = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    # The replier with their bans and memberships (staff skip the limits and the watched
    # words), the company in the URL (a private space they may not see?), the thread
    # with its company, the company's watched words, the last post and today's count,
    # the recent bodies (no duplicate).
    assert len(reads) == 6
    assert sum("FROM threads" in q for q in reads) == 1
    assert sum("company_bans" in q for q in reads) == 1
    assert sum("FROM watched_words" in q for q in reads) == 1


def test_a_reply_at_a_wrong_address_is_404_and_saves_nothing(client, auth, make_user,
                                                             make_thread, make_company):
    thread = make_thread()
    make_company("other")
    make_user("bob")
    auth.signin("bob")
    for slug, message in [("other", "does not exist"), ("nowhere", "no company")]:
        response = client.post(f"/c/{slug}/t/{thread.id}/reply", data={"body": "Lost?"})
        assert response.status_code == 404 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post)
                             .where(Post.thread_id == thread.id)) == 1


def test_an_empty_htmx_reply_swaps_errors_into_the_form(client, auth, make_user, make_thread):
    thread = make_thread()
    make_user("bob")
    auth.signin("bob")
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                           data={"body": "   "}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#reply-form"
    assert "This field is required." in response.get_data(as_text=True)


def test_signed_out_reply_goes_to_sign_in(client, make_thread):
    thread = make_thread()
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply", data={"body": "x"})
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_every_post_goes_through_the_content_pipeline(client, auth, make_user, make_thread):
    thread = make_thread()
    make_user("bob")
    auth.signin("bob")
    client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                data={"body": "<script>alert(1)</script> [x](javascript:alert(1))"})
    page = client.get(f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}")
    html = page.get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))" in html


def test_a_reply_records_its_event_with_the_change(make_thread, make_reply, make_user):
    thread, author = make_thread(), make_user()
    before = db_count(Event)
    post = make_reply(thread, author=author)
    assert db_count(Event) == before + 1
    newest = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert (newest.type, newest.subject_type, newest.subject_id, newest.thread_id,
            newest.company_id, newest.actor_id) == (
        "post.created", "posts", post.id, thread.id, thread.company_id, post.author_id)


def test_live_preview_renders_through_the_pipeline(client):
    response = client.post("/preview", data={"body": "**bold** <img src=x onerror=alert(1)>"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<strong>bold</strong>" in body and "<img" not in body


def test_quote_prefills_the_reply_box(client, auth, make_user, make_thread, make_reply):
    thread = make_thread()
    post = make_reply(thread, author=make_user("carol"), body="Descale monthly.")
    make_user("bob")
    auth.signin("bob")
    page = client.get(f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}?quote={post.id}")
    assert "&gt; Descale monthly." in page.get_data(as_text=True)


def test_mentions_and_thread_links_are_recorded(make_user, make_thread, make_reply):
    from forum.extensions import db
    from forum.threads.models import Mention, ThreadLink

    carol = make_user("carol")
    first = make_thread()
    second = make_thread(first.company, title="Another question here")
    reply = make_reply(second, body=f"@Carol see /c/{first.company.slug}/t/{first.id}-x "
                                    "and @nobody")
    mentions = db.session.scalars(select(Mention.user_id).where(Mention.post_id == reply.id))
    assert list(mentions) == [carol.id]
    links = db.session.scalars(select(ThreadLink.to_thread_id)
                               .where(ThreadLink.post_id == reply.id))
    assert list(links) == [first.id]
    assert 'href="/u/carol"' in reply.body_html


def test_long_threads_are_paginated(client, make_thread, make_reply, make_user):
    thread = make_thread()
    for number in range(25):
        make_reply(thread, body=f"Reply {number:02d}")
    url = f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}"
    first, second = client.get(url).get_data(as_text=True), client.get(url + "?page=2")
    assert "Reply 18" in first and "Reply 19" not in first
    assert "Reply 19" in second.get_data(as_text=True)
    assert db_count(Post) == 26
