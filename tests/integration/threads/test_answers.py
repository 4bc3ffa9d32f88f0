"""Official answers, accepted answers, and how responsive a company is."""

from __future__ import annotations

from datetime import timedelta

from forum.extensions import db
from tests.helpers import reload


def thread_page(client, thread) -> str:
    return client.get(f"/c/{thread.company.slug}/t/{thread.id}-{thread.slug}").get_data(
        as_text=True)


def test_staff_answer_as_the_company_in_public(client, auth, make_thread, make_staff):
    thread = make_thread()
    staff = make_staff(thread.company, "team", "theo")
    auth.signin("theo")
    client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                data={"body": "Hold both buttons for 5 seconds.", "official": "y"})
    reload(thread)
    assert thread.answered_at is not None
    page = thread_page(client, thread)
    assert "post-official" in page and "Official" in page and staff.name in page
    forum = client.get(f"/c/{thread.company.slug}/forum").get_data(as_text=True)
    assert f"{thread.company.name} answered" in forum


def test_customers_cannot_post_as_the_company(client, auth, make_user, make_thread):
    thread = make_thread()
    make_user("mallory")
    auth.signin("mallory")
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                           data={"body": "We will refund everyone!", "official": "y"})
    assert response.status_code == 403
    reload(thread)
    assert thread.answered_at is None and thread.reply_count == 0


def test_staff_of_another_company_cannot_post_officially_here(client, auth, make_thread,
                                                              make_company, make_staff):
    thread = make_thread()
    make_staff(make_company("rival"), "owner", "rivalowner")
    auth.signin("rivalowner")
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/reply",
                           data={"body": "Switch to us.", "official": "y"})
    assert response.status_code == 403


def test_accepted_answer_shows_right_under_the_question(client, auth, make_thread, make_reply,
                                                        make_staff):
    thread = make_thread(title="Why does it beep?")
    make_reply(thread, body="First, unhelpful guess")
    good = make_reply(thread, body="The water tank is empty.")
    make_staff(thread.company, "team", "theo")
    auth.signin("theo")
    response = client.post(f"/c/{thread.company.slug}/t/{thread.id}/accept",
                           data={"post_id": good.id})
    assert response.status_code == 302
    page = thread_page(client, thread)
    accepted = page.index('aria-label="Accepted answer"')
    assert page.index("It says descale") < accepted < page.index("First, unhelpful guess")
    assert page.count("The water tank is empty.") == 2  # under the question, and in place


def test_only_staff_accept_and_only_replies_of_this_question(client, auth, make_user,
                                                             make_thread, make_reply,
                                                             make_staff):
    thread = make_thread()
    other = make_thread(thread.company, title="Another one here")
    reply = make_reply(thread)
    foreign = make_reply(other)
    make_user("alice")
    auth.signin("alice")
    url = f"/c/{thread.company.slug}/t/{thread.id}/accept"
    assert client.post(url, data={"post_id": reply.id}).status_code == 403
    auth.signout()
    make_staff(thread.company, "team", "theo")
    auth.signin("theo")
    assert client.post(url, data={"post_id": foreign.id}).status_code == 404
    assert client.post(url, data={"post_id": "abc"}).status_code == 400
    discussion = make_thread(thread.company, title="Just chatting here", kind="discussion")
    chat_reply = make_reply(discussion)
    response = client.post(f"/c/{thread.company.slug}/t/{discussion.id}/accept",
                           data={"post_id": chat_reply.id})
    assert response.status_code == 403


def test_company_page_shows_responsiveness(client, make_thread, make_reply, make_staff,
                                           make_company):
    company = make_company("acme", name="Acme")
    staff = make_staff(company, "team")
    answered = make_thread(company, title="Answered question")
    make_thread(company, title="Unanswered question")
    make_reply(answered, author=staff, official=True)
    answered.answered_at = answered.created_at + timedelta(hours=3)
    db.session.commit()
    page = client.get("/c/acme").get_data(as_text=True)
    assert "50%" in page and "of 2 threads" in page and "3.0 hours" in page


def test_responsiveness_figures_are_kept_for_a_while_then_recomputed(
        app, client, make_thread, make_reply, make_staff, make_company):
    app.config["RESPONSIVENESS_CACHE_SECONDS"] = 300
    company = make_company("acme", name="Acme")
    staff = make_staff(company, "team")
    make_thread(company, title="Unanswered question")
    assert "0%" in client.get("/c/acme").get_data(as_text=True)
    make_reply(make_thread(company, title="Answered question"), author=staff, official=True)
    assert "of 1 threads" in client.get("/c/acme/forum").get_data(as_text=True)  # kept
    app.config["RESPONSIVENESS_CACHE_SECONDS"] = 0
    page = client.get("/c/acme/forum").get_data(as_text=True)
    assert "50%" in page and "of 2 threads" in page
