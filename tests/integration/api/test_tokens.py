"""Tokens: made on settings pages and shown once, stored hashed, revoked with a
confirmation, refused once revoked or expired, and never a way into a private space."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from forum import policy
from forum.api import tokens
from forum.api.models import ApiToken
from forum.companies import privacy
from forum.companies.services import set_staff_role
from forum.database import utcnow, write_transaction
from forum.events.models import Event
from forum.extensions import db
from tests.helpers import csrf_token
from tests.integration.api.conftest import ApiWorld

API = "/api/v1"


def test_a_personal_token_is_shown_once_and_stored_hashed(client: FlaskClient, auth: Any,
                                                          api_world: ApiWorld) -> None:
    auth.signin("carla")
    page = client.get("/settings/tokens").get_data(as_text=True)
    made = client.post("/settings/tokens", data={
        "csrf_token": csrf_token(page), "name": "laptop", "scopes": ["read", "write"]})
    assert made.status_code == 201
    text = made.get_data(as_text=True)
    secret = text.split('value="cc_pat_', 1)[1].split('"', 1)[0]
    secret = "cc_pat_" + secret
    db.session.rollback()
    stored = db.session.query(ApiToken).filter_by(name="laptop").one()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in client.get("/settings/tokens").get_data(as_text=True)
    answer = client.get(f"{API}/me", headers=ApiWorld.bearer(secret))
    assert answer.get_json()["username"] == "carla"
    assert "Set-Cookie" not in answer.headers


def test_a_revoked_or_expired_token_stops_working(client: FlaskClient, auth: Any,
                                                  api_world: ApiWorld) -> None:
    auth.signin("carla")
    token = tokens.personal_tokens(api_world.customer)[0]
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "Revoke “script”? Anything using it stops working" in page
    client.post(f"/settings/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)})
    refused = client.get(f"{API}/me", headers=ApiWorld.bearer(api_world.customer_token))
    assert refused.status_code == 401 and refused.get_json()["detail"] == "That token was revoked."
    expiring = tokens.create_personal_token(api_world.customer, "short", ["read"], days=1)
    with write_transaction():
        db.session.get(ApiToken, expiring.token.id).expires_at = utcnow() - timedelta(seconds=1)
    expired = client.get(f"{API}/me", headers=ApiWorld.bearer(expiring.secret))
    assert expired.get_json()["detail"] == "That token has expired."


@pytest.mark.parametrize("demoted_to", ["team", "moderator"])
def test_a_company_token_dies_with_its_makers_ownership(client: FlaskClient, admin: Any,
                                                        make_user: Any, api_world: ApiWorld,
                                                        demoted_to: str) -> None:
    headers = ApiWorld.bearer(api_world.company_token)
    assert client.get(f"{API}/companies/acme", headers=headers).status_code == 200
    set_staff_role(admin, api_world.company, make_user("otto").username, "owner")
    set_staff_role(admin, api_world.company, "olivia", demoted_to)
    refused = client.get(f"{API}/companies/acme", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == (
        "The person who made that token may no longer use it: "
        "Only the company's owners manage its API tokens.")


def test_a_site_admins_company_token_works_as_the_policy_lets_admins_manage_tokens(
        client: FlaskClient, admin: Any, api_world: ApiWorld) -> None:
    assert policy.can(admin, policy.Action.MANAGE_API_TOKENS, api_world.company)
    assert admin.role_at(api_world.company.id) is None  # no staff role: the policy decides
    made = tokens.create_company_token(admin, api_world.company, "ops", ["read", "staff"])
    answer = client.get(f"{API}/companies/acme", headers=ApiWorld.bearer(made.secret))
    assert answer.status_code == 200 and answer.get_json()["slug"] == "acme"


def test_company_tokens_are_made_and_revoked_by_owners_with_events(
        client: FlaskClient, auth: Any, api_world: ApiWorld) -> None:
    auth.signin("carla")
    assert client.get("/c/acme/manage/tokens").status_code == 403
    auth.signout()
    auth.signin("olivia")
    page = client.get("/c/acme/manage/tokens").get_data(as_text=True)
    made = client.post("/c/acme/manage/tokens", data={
        "csrf_token": csrf_token(page), "name": "crm", "scopes": ["read"], "days": "30"})
    assert made.status_code == 201 and "cc_co_" in made.get_data(as_text=True)
    db.session.rollback()
    token = db.session.query(ApiToken).filter_by(name="crm").one()
    client.post(f"/c/acme/manage/tokens/{token.id}/revoke",
                data={"csrf_token": csrf_token(page)})
    db.session.rollback()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    types = [event.type for event in db.session.query(Event).filter_by(subject_id=token.id,
                                                                       subject_type="api_tokens")]
    assert types == ["company.api_token_created", "company.api_token_revoked"]


def test_a_private_space_is_not_there_for_an_outsiders_token(
        client: FlaskClient, api_world: ApiWorld, run_indexer: Any) -> None:
    privacy.set_privacy(api_world.owner, api_world.company, True)
    outsider = ApiWorld.bearer(api_world.customer_token)
    idea, thread = api_world.idea.thread_id, api_world.thread.id
    for path in ("/companies/acme", "/companies/acme/ideas", f"/companies/acme/ideas/{idea}",
                 "/companies/acme/threads", f"/companies/acme/threads/{thread}",
                 f"/companies/acme/threads/{thread}/posts"):
        answer = client.get(API + path, headers=outsider)
        assert answer.status_code == 404, path
        assert answer.get_json()["detail"] == "There is no company at that address."
    assert client.get(f"{API}/companies", headers=outsider).get_json()["items"] == []
    vote = client.post(f"{API}/companies/acme/ideas/{idea}/vote", headers=outsider)
    assert vote.status_code == 404
    privacy.invite_guest(api_world.owner, api_world.company, username="carla")
    assert client.get(f"{API}/companies/acme/ideas", headers=outsider).status_code == 200
    assert [c["slug"] for c in client.get(f"{API}/companies", headers=outsider)
            .get_json()["items"]] == ["acme"]


def test_notifications_and_search_leave_out_a_private_space(
        client: FlaskClient, api_world: ApiWorld, run_indexer: Any, notify: Any,
        make_reply: Any) -> None:
    outsider = ApiWorld.bearer(api_world.customer_token)
    client.post(f"{API}/companies/acme/threads/{api_world.thread.id}/posts", headers=outsider,
                json={"body": "Following along."})
    make_reply(api_world.thread, body="Descale it with citric acid.")
    notify()
    run_indexer()
    heard = client.get(f"{API}/me/notifications", headers=outsider).get_json()["items"]
    assert [item["thread"]["id"] for item in heard] == [api_world.thread.id]
    found = client.get(f"{API}/search?q=descale", headers=outsider).get_json()["items"]
    assert [hit["thread_id"] for hit in found] == [api_world.thread.id]
    privacy.set_privacy(api_world.owner, api_world.company, True)
    run_indexer()
    assert client.get(f"{API}/me/notifications", headers=outsider).get_json()["items"] == []
    assert client.get(f"{API}/search?q=descale", headers=outsider).get_json()["items"] == []
    refused = client.get(f"{API}/search?q=descale&company=acme", headers=outsider)
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "company"
