"""The webhook settings pages: owners add, change, switch off and delete endpoints; a URL
that points inside the network is refused in production (no SSRF)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.companies import privacy
from forum.events.models import Event
from forum.extensions import db
from forum.webhooks import services
from forum.webhooks.models import WebhookEndpoint

PAGE = "/c/acme/manage/webhooks"


def count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0


@pytest.fixture
def acme(make_company, make_user):
    return make_company("acme", owner=make_user("olive"))


def test_an_owner_adds_a_webhook_and_sees_its_secret(client, auth, acme, receiver):
    auth.signin("olive")
    assert "No webhooks yet." in client.get(PAGE).get_data(as_text=True)
    response = client.post(PAGE, data={"url": receiver.url, "description": "CRM",
                                       "event_types": ["idea.proposed", "vote.cast"]})
    assert response.status_code == 302
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.event_types == ["idea.proposed", "vote.cast"]
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) >= 38
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret in page and "Send test event" in page
    assert "Webhook added." in page
    listed = client.get(PAGE).get_data(as_text=True)
    assert receiver.url in listed and "idea.proposed, vote.cast" in listed
    event = db.session.scalar(select(Event).where(Event.type == "webhook.saved"))
    assert event.data == {"url": receiver.url, "event_types": ["idea.proposed", "vote.cast"]}


@pytest.mark.parametrize(("url", "events", "message"), [
    ("", ["idea.proposed"], "Give the address the events go to."),
    ("not a url", ["idea.proposed"], "Give an http:// or https:// address."),
    ("ftp://127.0.0.1/x", ["idea.proposed"], "Give an http:// or https:// address."),
    ("http://user:pw@127.0.0.1/", ["idea.proposed"], "Leave any user name and password"),
    ("http://127.0.0.1:99999/", ["idea.proposed"], "This is not a web address."),
    ("http://no-such-host.invalid/", ["idea.proposed"], "No server answers to the name"),
    ("http://127.0.0.1/", [], "Choose at least one of the events listed."),
    ("http://127.0.0.1/", ["user.registered"], "Choose at least one of the events listed."),
])
def test_bad_input_is_refused_and_the_form_kept(client, auth, acme, url, events, message):
    auth.signin("olive")
    response = client.post(PAGE, data={"url": url, "description": "kept description",
                                       "event_types": events})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "kept description" in page
    assert count() == 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/",
    "http://192.168.0.10/", "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/", "http://0.0.0.0/", "http://100.64.0.1/", "http://224.0.0.1/",
    "http://[::ffff:127.0.0.1]/", "https://[fd00::1]/",
])
def test_private_addresses_are_refused_in_production(client, auth, app, acme, url):
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    auth.signin("olive")
    response = client.post(PAGE, data={"url": url, "event_types": ["idea.proposed"]})
    assert response.status_code == 422
    assert "webhooks go to public servers only" in response.get_data(as_text=True)
    assert count() == 0


def test_a_public_address_is_accepted_in_production(client, auth, app, acme):
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    auth.signin("olive")
    response = client.post(PAGE, data={"url": "https://93.184.215.14/hooks",
                                       "event_types": ["idea.proposed"]})
    assert response.status_code == 302 and count() == 1


@pytest.mark.parametrize("who", ["team", "moderator", "customer"])
def test_only_owners_and_admins_manage_webhooks(client, auth, acme, make_staff, make_user,
                                                receiver, who):
    user = make_user(who) if who == "customer" else make_staff(acme, who, who)
    endpoint = services.add_endpoint(acme.memberships[0].user, acme, url=receiver.url,
                                     description="", event_types=["vote.cast"])
    auth.signin(user.username)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"url": receiver.url,
                                   "event_types": ["vote.cast"]}).status_code == 403
    assert client.post(f"{PAGE}/{endpoint.id}/delete").status_code == 403
    assert client.get(f"{PAGE}/{endpoint.id}").status_code == 403
    assert count() == 1
    auth.signout()
    auth.signin("root")
    assert client.get(f"{PAGE}/{endpoint.id}").status_code == 200


def test_a_private_space_is_not_found_by_outsiders(client, auth, admin, acme, make_user,
                                                   make_company):
    privacy.set_privacy(admin, acme, True)
    make_company("other", owner=make_user("otto"))
    auth.signin("otto")  # an owner, but of another company
    assert client.get(PAGE).status_code == 404
    assert client.get("/c/other/manage/webhooks").status_code == 200


def test_another_companys_endpoint_is_not_found(client, auth, acme, make_company, make_user,
                                                receiver):
    other = make_company("other", owner=make_user("otto"))
    endpoint = services.add_endpoint(other.memberships[0].user, other, url=receiver.url,
                                     description="", event_types=["vote.cast"])
    auth.signin("olive")
    assert client.get(f"{PAGE}/{endpoint.id}").status_code == 404
    assert client.post(f"{PAGE}/{endpoint.id}/delete").status_code == 404
    assert count() == 1


def test_owners_change_switch_roll_and_delete_an_endpoint(client, auth, acme, receiver):
    auth.signin("olive")
    client.post(PAGE, data={"url": receiver.url, "event_types": ["idea.proposed"]})
    endpoint = db.session.scalar(select(WebhookEndpoint))
    path, secret = f"{PAGE}/{endpoint.id}", endpoint.secret
    response = client.post(path, data={"url": receiver.url, "description": "Slack",
                                       "event_types": ["post.created", "vote.cast"]})
    assert response.status_code == 302
    assert client.post(path, data={"url": receiver.url, "event_types": []}).status_code == 422
    assert client.post(f"{path}/switch", data={"enabled": "off"}).status_code == 302
    assert client.post(f"{path}/switch", data={"enabled": "maybe"}).status_code == 400
    assert client.post(f"{path}/test").status_code == 409  # disabled: nothing to test
    assert client.post(f"{path}/secret").status_code == 302
    db.session.rollback()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert (endpoint.description, endpoint.event_types, endpoint.enabled) == (
        "Slack", ["post.created", "vote.cast"], False)
    assert endpoint.secret != secret and endpoint.secret.startswith("whsec_")
    page = client.get(path).get_data(as_text=True)
    assert "Delete the webhook to" in page and "Disabled." in page
    assert client.post(f"{path}/delete").status_code == 302
    assert count() == 0
    assert client.get(path).status_code == 404
    types = set(db.session.scalars(select(Event.type).where(Event.type.like("webhook.%"))))
    assert types == {"webhook.saved", "webhook.switched", "webhook.secret_rolled",
                     "webhook.deleted"}
    assert not any(secret in str(data) for data in db.session.scalars(select(Event.data)))
