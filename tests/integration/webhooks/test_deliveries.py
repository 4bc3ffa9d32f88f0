"""Deliveries to a real receiver on loopback: signed as Standard Webhooks are, retried
with backoff, never sent again after a 2xx, and never held up by another receiver."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.companies import privacy
from forum.database import utcnow
from forum.extensions import db
from forum.moderation import hiding
from forum.webhooks import services
from forum.webhooks.models import DELIVERED, FAILED, PENDING, WebhookDelivery
from forum.webhooks.runtime import get_webhook_runtime
from forum.webhooks.sender import WebhookSender
from tests.webhooks import verify


def deliveries() -> list[WebhookDelivery]:
    db.session.rollback()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.fixture
def acme(make_company, make_user):
    return make_company("acme", owner=make_user("olive"))


def hook(company, url, *events):
    return services.add_endpoint(company.memberships[0].user, company, url=url,
                                 description="", event_types=list(events))


def test_a_proposed_idea_reaches_the_receiver_signed(acme, receiver, make_idea, make_user,
                                                     deliver):
    endpoint = hook(acme, receiver.url, "idea.proposed")
    author = make_user("alice", display_name="Alice A.")
    idea = make_idea(acme, author=author, title="Dark mode for the app please")
    deliver()
    [request] = receiver.requests
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert verify(endpoint.secret, request)
    body = request.json
    assert body["id"] == request.headers["webhook-id"] and body["type"] == "idea.proposed"
    assert body["company"] == {"id": acme.id, "slug": "acme", "name": "Acme"}
    assert body["data"]["idea"]["id"] == idea.id
    assert body["data"]["idea"]["thread"]["title"] == "Dark mode for the app please"
    assert body["data"]["idea"]["thread"]["url"].startswith("http://localhost/c/acme/")
    assert body["data"]["author"] == {"id": author.id, "username": "alice",
                                      "display_name": "Alice A."}
    assert "@" not in request.body.decode()  # no email address of anyone
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DELIVERED, 1, 200)
    assert delivery.last_response_ms is not None
    deliver()  # the sender runs again: nothing is sent twice
    deliver(utcnow() + timedelta(days=2))
    assert len(receiver.requests) == 1


def test_a_tampered_body_fails_the_check(acme, receiver, make_idea, deliver):
    endpoint = hook(acme, receiver.url, "idea.proposed")
    make_idea(acme)
    deliver()
    request = receiver.requests[0]
    forged = type(request)(request.path, request.headers, request.body.replace(b"Idea", b"Ide4"))
    assert verify(endpoint.secret, request) and not verify(endpoint.secret, forged)


def test_a_failing_receiver_is_retried_with_backoff_then_delivered_once(
        acme, receiver, make_idea, deliver):
    hook(acme, receiver.url, "idea.proposed")
    receiver.answers.extend([500, 503])
    make_idea(acme)
    now = utcnow() + timedelta(seconds=1)  # the delivery is due from when it was queued
    deliver(now)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (PENDING, 1, 500)
    assert delivery.last_error == "Answered 500."
    wait = delivery.next_attempt_at - now
    assert timedelta(seconds=4.5) <= wait <= timedelta(seconds=5.5)  # 5 s, with jitter
    deliver(now + timedelta(seconds=1))  # not due yet
    assert len(receiver.requests) == 1
    deliver(delivery.next_attempt_at)
    [delivery] = deliveries()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    later = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(minutes=4.5) <= later <= timedelta(minutes=5.5)  # then 5 minutes
    deliver(delivery.next_attempt_at)
    deliver(delivery.next_attempt_at + timedelta(days=1))
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DELIVERED, 3, 200)
    assert len(receiver.requests) == 3
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1
    assert len({request.body for request in receiver.requests}) == 1


def test_a_delivery_fails_after_its_last_retry_and_is_resent_by_hand(
        app, client, auth, acme, receiver, make_idea, deliver):
    app.config["WEBHOOK_RETRY_SCHEDULE"] = [5.0]
    endpoint = hook(acme, receiver.url, "idea.proposed")
    receiver.answers.extend([500, 500])
    make_idea(acme)
    now = utcnow() + timedelta(seconds=1)  # the delivery is due from when it was queued
    deliver(now)
    deliver(now + timedelta(minutes=1))
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == (FAILED, 2)
    auth.signin("olive")
    page = client.get(f"/c/acme/manage/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "HTTP 500" in page and "Resend" in page
    resend = f"/c/acme/manage/webhooks/{endpoint.id}/deliveries/{delivery.id}/resend"
    assert client.post(resend).status_code == 302
    assert client.post(resend).status_code == 409  # pending again, not failed
    deliver(utcnow() + timedelta(seconds=1))
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == (DELIVERED, 1)
    assert len(receiver.requests) == 3


def test_a_hanging_receiver_holds_up_nobody_else(app, client, acme, receiver_factory,
                                                 make_idea, deliver, sender):
    app.config["WEBHOOK_READ_TIMEOUT"] = 1.0
    slow, fast = receiver_factory(), receiver_factory()
    slow.hang.set()
    hook(acme, slow.url, "idea.proposed")
    hook(acme, fast.url, "idea.proposed")
    make_idea(acme)
    db.session.commit()
    get_webhook_runtime(app).dispatcher().run_until_idle()
    assert sender.run_once() == 2  # both handed to the pool; nothing waited for
    assert slow.arrived.wait(5)
    for _ in range(100):  # the fast one is delivered while the slow one still hangs
        statuses = {row.endpoint_id: row.status for row in deliveries()}
        if DELIVERED in statuses.values():
            break
        time.sleep(0.05)
    assert not slow.release.is_set() and len(fast.requests) == 1
    assert sorted(statuses.values()) == [DELIVERED, PENDING]
    assert client.get("/c/acme").status_code == 200  # and requests go on meanwhile
    sender.wait()
    slow_delivery = next(row for row in deliveries() if row.status == PENDING)
    assert "timed out" in slow_delivery.last_error and slow_delivery.attempts == 1
    assert slow_delivery.last_status_code is None


def test_two_senders_never_send_one_delivery_at_once(app, acme, receiver, make_idea, deliver):
    hook(acme, receiver.url, "idea.proposed")
    receiver.hang.set()
    make_idea(acme)
    db.session.commit()
    get_webhook_runtime(app).dispatcher().run_until_idle()
    first, second = WebhookSender(app), WebhookSender(app)
    try:
        assert first.run_once() == 1
        assert second.run_once() == 0  # leased by the first
        receiver.release.set()
        first.wait()
        assert second.run_once() == 0  # delivered: never again
    finally:
        first.close()
        second.close()
    assert len(receiver.requests) == 1


def test_each_endpoint_hears_only_of_its_own_company(admin, acme, make_company, make_user,
                                                     receiver_factory, make_idea, deliver):
    privacy.set_privacy(admin, acme, True)
    other = make_company("other", owner=make_user("otto"))
    mine, theirs = receiver_factory(), receiver_factory()
    hook(acme, mine.url, "idea.proposed", "vote.cast")
    hook(other, theirs.url, "idea.proposed", "vote.cast")
    make_idea(acme, title="A secret plan for the private space",
              author=acme.memberships[0].user)
    make_idea(other, title="Something public at the other one")
    deliver()
    assert {request.json["type"] for request in mine.requests} == {"idea.proposed",
                                                                   "vote.cast"}
    assert all(request.json["company"]["slug"] == "acme" for request in mine.requests)
    assert all(request.json["company"]["slug"] == "other" for request in theirs.requests)
    assert b"secret plan" not in b"".join(request.body for request in theirs.requests)


def test_only_chosen_events_after_registration_and_nothing_hidden(
        admin, acme, receiver, make_idea, make_thread, make_reply, deliver):
    before = make_idea(acme, title="Proposed before the webhook existed")
    hook(acme, receiver.url, "post.created")
    make_idea(acme)  # idea.proposed: not chosen
    thread = make_thread(acme, title="A question")
    shown = make_reply(thread, body="A reply everyone sees")
    hidden = make_reply(thread, body="A reply removed before it went out")
    hiding.hide_post(admin, hidden, "spam")
    deliver()
    assert [request.json["data"]["post"]["id"] for request in receiver.requests] == [shown.id]
    assert receiver.requests[0].json["data"]["thread"]["title"] == "A question"
    assert before.id not in [row.event_id for row in deliveries()]


def test_the_test_button_sends_a_test_event(client, auth, acme, receiver, deliver):
    endpoint = hook(acme, receiver.url, "vote.cast")
    auth.signin("olive")
    path = f"/c/acme/manage/webhooks/{endpoint.id}"
    response = client.post(f"{path}/test")
    assert response.status_code == 302
    assert "Test event queued" in client.get(path).get_data(as_text=True)
    deliver()
    [request] = receiver.requests
    assert request.json["type"] == "webhook.test" and verify(endpoint.secret, request)
    assert request.json["data"]["settings_url"] == f"http://localhost{path}"
    page = client.get(path).get_data(as_text=True)
    assert "webhook.test" in page and "HTTP 200" in page and " ms" in page


def test_a_url_made_private_after_registration_is_refused_at_delivery(
        app, acme, receiver, make_idea, deliver):
    hook(acme, receiver.url, "idea.proposed")
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False  # as production: loopback refused
    make_idea(acme)
    deliver()
    assert receiver.requests == []
    [delivery] = deliveries()
    assert "public servers only" in delivery.last_error and delivery.status == PENDING


def test_the_payload_is_stored_as_sent(acme, receiver, make_idea, deliver):
    hook(acme, receiver.url, "idea.proposed")
    make_idea(acme)
    deliver()
    [delivery] = deliveries()
    assert receiver.requests[0].body.decode() == delivery.payload
    assert json.loads(delivery.payload)["id"] == delivery.message_id


def test_an_endpoint_that_only_fails_is_disabled_and_sent_nothing_more(
        app, acme, receiver, make_idea, deliver):
    app.config["WEBHOOK_RETRY_SCHEDULE"] = []  # one attempt each, then failed
    app.config["WEBHOOK_DISABLE_AFTER_HOURS"] = 0  # failing since its first failure
    endpoint = hook(acme, receiver.url, "idea.proposed")
    receiver.answers.extend([500])
    make_idea(acme)
    deliver()
    [delivery] = deliveries()
    endpoint = db.session.get(type(endpoint), endpoint.id)
    assert delivery.status == FAILED and not endpoint.enabled
    assert "disabled" in endpoint.disabled_reason
    make_idea(acme)
    deliver()
    assert len(receiver.requests) == 1 and len(deliveries()) == 1


def test_the_worker_thread_dispatches_and_sends(app, acme, receiver, make_idea):
    app.config["WEBHOOK_POLL_INTERVAL"] = 0.05
    endpoint = hook(acme, receiver.url, "idea.proposed")
    make_idea(acme)
    db.session.commit()
    runtime = get_webhook_runtime(app)
    assert runtime.start()
    try:
        assert receiver.arrived.wait(10)
    finally:
        runtime.stop()
    assert verify(endpoint.secret, receiver.requests[0])
