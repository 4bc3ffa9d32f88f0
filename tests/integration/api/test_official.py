"""Official replies over the API: staff pass `"official": true` as the reply form's box
does, the policy decides, and a customer is refused with its reason."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from forum.api import tokens
from forum.extensions import db
from forum.threads.models import Post, Thread
from tests.integration.api.conftest import ApiWorld

API = "/api/v1"


def _posts(api_world: ApiWorld) -> str:
    return f"{API}/companies/acme/threads/{api_world.thread.id}/posts"


def _count(api_world: ApiWorld) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(Post)
                                 .where(Post.thread_id == api_world.thread.id)) or 0)


def test_staff_answer_for_the_company(client: FlaskClient, api_world: ApiWorld) -> None:
    answer = client.post(_posts(api_world), headers=api_world.bearer(api_world.company_token),
                         json={"body": "Descale monthly with citric acid.", "official": True})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["official"] is True
    db.session.rollback()
    post = db.session.get(Post, answer.get_json()["id"])
    assert post.official and post.author.username == "olivia"
    assert db.session.get(Thread, api_world.thread.id).answered_at is not None
    plain = client.post(_posts(api_world), headers=api_world.bearer(api_world.company_token),
                        json={"body": "And rinse twice.", "official": False})
    assert plain.status_code == 201 and plain.get_json()["official"] is False


def test_a_customer_asking_to_post_as_the_company_is_refused(client: FlaskClient,
                                                            api_world: ApiWorld) -> None:
    before = _count(api_world)
    refused = client.post(_posts(api_world), headers=api_world.bearer(api_world.customer_token),
                          json={"body": "Official: it is fine.", "official": True})
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["detail"] == "Only the company's staff post as the company."
    assert _count(api_world) == before


def test_a_staff_members_token_answers_for_the_company_only_with_the_staff_scope(
        client: FlaskClient, api_world: ApiWorld) -> None:
    writer = tokens.create_personal_token(api_world.owner, "writer", ["read", "write"]).secret
    before = _count(api_world)
    refused = client.post(_posts(api_world), headers=api_world.bearer(writer),
                          json={"body": "Official answer.", "official": True})
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "This token may not staff: its scopes are read write."
    assert _count(api_world) == before
    mine = client.post(_posts(api_world), headers=api_world.bearer(writer),
                       json={"body": "Speaking for myself."})
    assert mine.status_code == 201 and mine.get_json()["official"] is False


def test_official_must_be_a_boolean(client: FlaskClient, api_world: ApiWorld) -> None:
    wrong = client.post(_posts(api_world), headers=api_world.bearer(api_world.company_token),
                        json={"body": "Hello", "official": "yes"})
    assert wrong.status_code == 400
    assert wrong.get_json()["errors"][0]["field"] == "official"
