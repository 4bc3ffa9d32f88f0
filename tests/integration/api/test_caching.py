"""No shared cache keeps a person's API answers: every answer to a bearer token says
`Cache-Control: private, no-store` (forum.web's security_headers, for every signed-in
answer), and a refused token's problem says `no-store`."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from forum.extensions import db
from forum.threads.models import Post
from tests.integration.api.conftest import ApiWorld

API = "/api/v1"
PERSONAL = "private, no-store"


def _get_paths(client: FlaskClient, api_world: ApiWorld) -> list[str]:
    """Every GET of the document, with real path values."""
    real = {"slug": "acme", "idea_id": api_world.idea.thread_id,
            "thread_id": api_world.thread.id,
            "post_id": db.session.scalar(select(Post.id).where(
                Post.thread_id == api_world.thread.id))}
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    return [re.sub(r"\{(\w+)\}", lambda found: str(real[found[1]]), path)
            for path, operations in paths.items() if "get" in operations]


def _no_shared_cache(answer: TestResponse) -> None:
    assert answer.headers["Cache-Control"] == PERSONAL, (answer.request.path,
                                                         answer.status_code)


@pytest.mark.parametrize("token", ["customer", "company"])
def test_every_read_with_a_token_is_private(client: FlaskClient, api_world: ApiWorld,
                                            token: str) -> None:
    headers = api_world.bearer(api_world.customer_token if token == "customer"
                               else api_world.company_token)
    paths = _get_paths(client, api_world)
    assert len(paths) >= 10
    for path in paths:
        answer = client.get(path, headers=headers)
        _no_shared_cache(answer)
        if "ETag" in answer.headers:  # the 304 for it too
            again = client.get(path, headers={**headers, "If-None-Match": answer.headers["ETag"]})
            assert again.status_code == 304
            _no_shared_cache(again)


def test_writes_and_refusals_with_a_token_are_private(client: FlaskClient,
                                                      api_world: ApiWorld) -> None:
    headers = api_world.bearer(api_world.customer_token)
    posts = f"{API}/companies/acme/threads/{api_world.thread.id}/posts"
    written = client.post(posts, headers=headers, json={"body": "Vinegar works for me."})
    assert written.status_code == 201
    _no_shared_cache(written)
    refused = client.post(f"{API}/companies/acme/ideas/{api_world.idea.thread_id}/status",
                          headers=headers, json={"status": "planned"})
    assert refused.status_code == 403
    _no_shared_cache(refused)
    malformed = client.post(posts, headers=headers, json={"text": "wrong field"})
    assert malformed.status_code == 400
    _no_shared_cache(malformed)


def test_a_refused_token_is_answered_with_no_store(client: FlaskClient,
                                                   api_world: ApiWorld) -> None:
    answer = client.get(f"{API}/me", headers=api_world.bearer("cc_pat_not-a-real-one"))
    assert answer.status_code == 401
    assert answer.headers["Cache-Control"] == "no-store"
