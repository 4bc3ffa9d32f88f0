"""Merge and unmerge over the API: staff merge a duplicate and undo it as the idea page's
buttons do; the votes go there and come back."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from forum.api import tokens
from forum.extensions import db
from ideas import votes
from ideas.models import Idea
from tests.integration.api.conftest import ApiWorld

API = "/api/v1"


def test_staff_merge_then_unmerge_and_the_votes_come_back(
        client: FlaskClient, api_world: ApiWorld, make_idea: Any, make_user: Any) -> None:
    votes.cast_vote(api_world.customer, api_world.idea)
    original = make_idea(api_world.company, author=make_user("ola"), title="A dark theme")
    duplicate, into = api_world.idea.thread_id, original.thread_id
    staff = api_world.bearer(api_world.company_token)
    merged = client.post(f"{API}/companies/acme/ideas/{duplicate}/merge", headers=staff,
                         json={"into": into})
    assert merged.status_code == 200, merged.get_data(as_text=True)
    assert merged.get_json()["merged_into"] == into
    assert client.get(f"{API}/companies/acme/ideas/{into}").get_json()["vote_count"] == 3

    url = f"{API}/companies/acme/ideas/{duplicate}/unmerge"
    everything = tokens.create_personal_token(api_world.customer, "all",
                                              ["read", "write", "staff"]).secret
    refused = client.post(url, headers=api_world.bearer(everything), json={})
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "Only the company's staff undo a merge."
    writer = client.post(url, headers=api_world.bearer(api_world.customer_token), json={})
    assert writer.status_code == 403 and "may not staff" in writer.get_json()["detail"]

    undone = client.post(url, headers=staff, json={"note": "Not the same after all."})
    assert undone.status_code == 200, undone.get_data(as_text=True)
    assert undone.get_json()["merged_into"] is None
    assert undone.get_json()["vote_count"] == 2
    assert client.get(f"{API}/companies/acme/ideas/{into}").get_json()["vote_count"] == 1
    again = client.post(url, headers=staff, json={})
    assert again.status_code == 409
    assert again.get_json()["detail"] == (
        "This idea is not merged into another one: there is nothing to undo.")


def test_unmerge_takes_only_a_note(client: FlaskClient, api_world: ApiWorld) -> None:
    answer = client.post(f"{API}/companies/acme/ideas/{api_world.idea.thread_id}/unmerge",
                         headers=api_world.bearer(api_world.company_token),
                         json={"into": 3})
    assert answer.status_code == 400
    assert answer.get_json()["errors"][0]["field"] == "body"
    db.session.rollback()
    assert db.session.get(Idea, api_world.idea.id).merged_into_id is None
