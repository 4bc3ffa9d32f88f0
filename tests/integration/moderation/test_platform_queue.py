"""/admin/moderation: every company's open items for the site admins, escalated first,
then the oldest, with the company queue's items and decisions, a page at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.moderation import flags, queries, reviews
from forum.moderation.models import Review
from forum.threads.models import Post
from tests.helpers import assert_queries_stay_flat

ADMIN_QUEUE = "/admin/moderation"


@pytest.fixture
def two_companies(scene, make_company, make_staff, make_thread, make_reply, make_user):
    """Acme's flagged reply (the older), and Globex's, flagged after it."""
    globex = make_company("globex")
    make_staff(globex, "moderator", "gus")
    thread = make_thread(globex, title="Globex kettles leak")
    reply = make_reply(thread, author=make_user("spammer"), body="Cheap pills here")
    flags.flag_post(make_user("carol"), scene.reply, "spam")
    flags.flag_post(make_user("dave"), reply, "abuse")
    return scene.reply, reply


def test_admins_see_every_company_escalated_first(client, auth, admin, scene, two_companies):
    _, globex_reply = two_companies
    auth.signin("root")
    page = client.get(ADMIN_QUEUE).get_data(as_text=True)
    assert "2 open" in page and "0 escalated" in page
    assert page.index("cheap watches") < page.index("Cheap pills")  # the oldest first
    assert ">Moderation</a>" in page and 'aria-current="page">Moderation' in page
    gus = db.session.scalar(select(Review).where(Review.post_id == globex_reply.id))
    reviews.escalate_review(gus.company.memberships[0].user, gus, "Pills: a legal matter.")
    page = client.get(ADMIN_QUEUE).get_data(as_text=True)
    assert "1 escalated" in page and page.index("Cheap pills") < page.index("cheap watches")
    assert "Pills: a legal matter." in page and "Escalated</span>" in page
    assert 'href="/c/globex/manage/moderation">Globex</a>' in page


def test_a_decision_from_the_admin_queue_comes_back_to_it(client, auth, admin, scene,
                                                          two_companies):
    acme_reply, _ = two_companies
    auth.signin("root")
    response = client.post(f"/c/acme/manage/moderation/{acme_reply.id}/hide",
                           data={"reason": "spam", "note": "Ads.", "next": ADMIN_QUEUE})
    assert response.status_code == 302 and response.headers["Location"] == ADMIN_QUEUE
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Post, acme_reply.id).hidden_category == "spam"
    assert "1 open" in client.get(ADMIN_QUEUE).get_data(as_text=True)
    elsewhere = client.post(f"/c/acme/manage/moderation/{acme_reply.id}/keep",
                            data={"note": "x", "next": "https://evil.example/"})
    assert elsewhere.status_code in (302, 403)
    assert "evil" not in elsewhere.headers.get("Location", "")


@pytest.mark.parametrize("login, status", [("mona", 403), ("troll", 403), (None, 302)])
def test_only_site_admins_see_it(client, auth, scene, login, status):
    if login:
        auth.signin(login)
    assert client.get(ADMIN_QUEUE).status_code == status


def test_pages_follow_a_keyset(client, auth, admin, scene, make_reply, make_user,
                               monkeypatch):
    monkeypatch.setattr(queries, "QUEUE_SIZE", 2)
    flagger = make_user("carol")
    posts = [make_reply(scene.thread, author=make_user(), body=f"Spam number {n}")
             for n in range(5)]
    for post in posts:
        flags.flag_post(flagger, post, "spam")
    first = queries.platform_queue(limit=2)
    second = queries.platform_queue(first.next_after, limit=2)
    third = queries.platform_queue(second.next_after, limit=2)
    seen = [item.post.id for page in (first, second, third) for item in page.items]
    assert seen == [post.id for post in posts] and third.next_after is None
    auth.signin("root")
    page = client.get(f"{ADMIN_QUEUE}?after={first.next_after}").get_data(as_text=True)
    assert "Spam number 2" in page and "Spam number 0" not in page
    assert client.get(f"{ADMIN_QUEUE}?after=abc").status_code == 200


def test_the_admin_queue_runs_the_same_statements_however_long(
        client, auth, admin, make_company, make_staff, make_thread, make_reply, make_user,
        scene, count_queries):
    auth.signin("root")
    flagger, other = make_user("carol"), make_user("dave")
    companies = [scene.company, make_company("globex"), make_company("initech")]

    def grow(n: int) -> None:
        for number in range(n):
            company = companies[number % len(companies)]
            thread = make_thread(company, title=f"A thread at {company.slug} {number}")
            reply = make_reply(thread, author=make_user())
            flags.flag_post(flagger, reply, "spam")
            flags.flag_post(other, reply, "other", "Odd")
            if number % 2:
                review = db.session.scalar(select(Review).where(Review.post_id == reply.id))
                reviews.escalate_review(admin, review, "Look.")

    assert_queries_stay_flat(client, count_queries, ADMIN_QUEUE, grow)


def test_pages_walk_the_escalated_items_first_then_the_others(admin, scene, make_reply,
                                                              make_user):
    flagger = make_user("carol")
    posts = [make_reply(scene.thread, author=make_user(), body=f"Spam number {n}")
             for n in range(5)]
    for post in posts:
        flags.flag_post(flagger, post, "spam")
    for post in (posts[3], posts[1]):
        review = db.session.scalar(select(Review).where(Review.post_id == post.id))
        reviews.escalate_review(admin, review, "Look.")
    seen, after = [], None
    for _ in range(3):
        page = queries.platform_queue(after, limit=2)
        seen += [item.post.id for item in page.items]
        after = page.next_after
    order = [posts[n].id for n in (1, 3, 0, 2, 4)]  # escalated, then the oldest first
    assert seen == order and after is None
    assert queries.platform_queue(limit=2).escalated_count == 2
    # A page that starts in the middle of the escalated ones, or after the last of them.
    review_of = dict(db.session.execute(select(Review.post_id, Review.id)).all())
    assert [item.post.id for item in queries.platform_queue(
        review_of[order[0]], limit=2).items] == order[1:3]
    assert [item.post.id for item in queries.platform_queue(
        review_of[order[1]], limit=9).items] == order[2:]
