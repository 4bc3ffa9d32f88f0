"""The JSON API through the test client: resources, writes, errors, cursors, ETags."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from forum.extensions import db
from forum.threads.models import Post
from ideas.models import Vote
from tests.integration.api.conftest import ApiWorld

API = "/api/v1"


def test_a_visitor_reads_companies_ideas_and_threads(client: FlaskClient,
                                                     api_world: ApiWorld) -> None:
    companies = client.get(f"{API}/companies").get_json()
    assert [c["slug"] for c in companies["items"]] == ["acme"]
    ideas = client.get(f"{API}/companies/acme/ideas").get_json()
    assert [i["title"] for i in ideas["items"]] == ["Dark mode for the dashboard"]
    assert ideas["items"][0]["vote_count"] == 1
    threads = client.get(f"{API}/companies/acme/threads").get_json()
    assert [t["title"] for t in threads["items"]] == ["How do I descale the Breeze?"]
    posts = client.get(f"{API}/companies/acme/threads/{api_world.thread.id}/posts").get_json()
    assert posts["items"][0]["number"] == 1


def test_a_token_votes_and_unvotes_as_its_person(client: FlaskClient,
                                                 api_world: ApiWorld) -> None:
    url = f"{API}/companies/acme/ideas/{api_world.idea.thread_id}/vote"
    headers = api_world.bearer(api_world.customer_token)
    voted = client.post(url, headers=headers)
    assert voted.status_code == 200, voted.get_data(as_text=True)
    assert voted.get_json()["voted"] is True and voted.get_json()["vote_count"] == 2
    assert "Set-Cookie" not in voted.headers
    db.session.rollback()
    assert db.session.query(Vote).filter_by(user_id=api_world.customer.id).count() == 1
    again = client.delete(url, headers=headers).get_json()
    assert again["voted"] is False and again["vote_count"] == 1


def test_a_token_proposes_and_replies(client: FlaskClient, api_world: ApiWorld) -> None:
    headers = api_world.bearer(api_world.customer_token)
    made = client.post(f"{API}/companies/acme/ideas", headers=headers,
                       json={"title": "Export to CSV please", "body": "For our reports."})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["voted"] is True
    reply = client.post(f"{API}/companies/acme/threads/{api_world.thread.id}/posts",
                        headers=headers, json={"body": "Same question here."})
    assert reply.status_code == 201
    post_id = reply.get_json()["id"]
    edited = client.patch(f"{API}/companies/acme/threads/{api_world.thread.id}/posts/{post_id}",
                          headers=headers, json={"body": "Same question, with vinegar?"})
    assert edited.get_json()["body"] == "Same question, with vinegar?"
    db.session.rollback()
    assert db.session.get(Post, post_id).body_source == "Same question, with vinegar?"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_bad_input_is_a_clear_problem_and_saves_nothing(client: FlaskClient,
                                                        api_world: ApiWorld) -> None:
    headers = api_world.bearer(api_world.customer_token)
    url = f"{API}/companies/acme/ideas"
    _problem(client.post(url, headers={**headers, "Content-Type": "application/json"},
                         data="{not json"), 400)
    wrong = _problem(client.post(url, headers=headers, json={"title": 5, "body": "x"}), 400)
    assert wrong["errors"][0]["field"] == "title"
    unknown = _problem(client.post(url, headers=headers,
                                   json={"title": "Fine title", "body": "x", "admin": True}),
                       400)
    assert "admin" in unknown["errors"][0]["message"]
    _problem(client.post(url, headers=headers, data="title=x"), 415)
    _problem(client.post(url, headers=headers, json={"title": "t" * 10, "body": "b" * 3_000_000}),
             413)
    tagged = _problem(client.post(url, headers=headers,
                                  json={"title": "Fine title", "body": "x", "tags": ["nope"]}),
                      400)
    assert tagged["errors"] == [{"field": "tags", "message": "Acme has no tag 'nope'."}]
    _problem(client.get(f"{url}?cursor=forged"), 400)
    _problem(client.get(f"{url}?limit=0"), 400)
    _problem(client.get(f"{url}?sort=sideways"), 400)
    _problem(client.get(f"{API}/nowhere"), 404)
    _problem(client.put(f"{API}/companies"), 405)
    db.session.rollback()
    assert db.session.query(Post).count() == 2  # the idea's and the thread's openings


def test_bad_tokens_are_refused(client: FlaskClient, api_world: ApiWorld,
                                make_company: Any) -> None:
    _problem(client.get(f"{API}/me", headers=api_world.bearer("cc_pat_nonsense")), 401)
    _problem(client.get(f"{API}/me", headers={"Authorization": "Basic abc"}), 401)
    make_company("globex")
    other = _problem(client.get(f"{API}/companies/globex/ideas",
                                headers=api_world.bearer(api_world.company_token)), 403)
    assert "another company" in other["detail"]
    _problem(client.get(f"{API}/companies", headers=api_world.bearer(api_world.company_token)),
             403)
    read_only = api_world.bearer(api_world.customer_token)
    staff = _problem(client.post(
        f"{API}/companies/acme/ideas/{api_world.idea.thread_id}/status", headers=read_only,
        json={"status": "planned"}), 403)
    assert "staff" in staff["detail"]


def test_the_company_token_changes_a_status_as_its_owner(client: FlaskClient,
                                                         api_world: ApiWorld) -> None:
    changed = client.post(f"{API}/companies/acme/ideas/{api_world.idea.thread_id}/status",
                          headers=api_world.bearer(api_world.company_token),
                          json={"status": "planned", "note": "Next quarter."})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["status"] == "planned"


def test_cursors_walk_a_list_in_a_stable_order(client: FlaskClient, api_world: ApiWorld,
                                               make_idea: Any) -> None:
    for _ in range(4):
        make_idea(api_world.company)
    seen: list[int] = []
    url = f"{API}/companies/acme/ideas?sort=new&limit=2"
    while url:
        page = client.get(url).get_json()
        seen += [item["id"] for item in page["items"]]
        url = (f"{API}/companies/acme/ideas?sort=new&limit=2&cursor={page['next_cursor']}"
               if page["next_cursor"] else "")
    assert len(seen) == 5 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    cursor = client.get(f"{API}/companies/acme/ideas?sort=new&limit=2").get_json()[
        "next_cursor"]
    _problem(client.get(f"{API}/companies/acme/ideas?sort=top&cursor={cursor}"), 400)


def test_reads_carry_an_etag(client: FlaskClient, api_world: ApiWorld) -> None:
    first = client.get(f"{API}/companies/acme")
    assert first.headers["ETag"]
    again = client.get(f"{API}/companies/acme", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_session_must_send_its_csrf_token_to_write(client: FlaskClient, auth: Any,
                                                     api_world: ApiWorld) -> None:
    auth.signin("carla")
    url = f"{API}/companies/acme/ideas/{api_world.idea.thread_id}/vote"
    _problem(client.post(url), 403)
    assert client.get(f"{API}/me").get_json()["username"] == "carla"


def test_rate_limit_headers_and_429(app_factory: Any, api_world: ApiWorld) -> None:
    client = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute").test_client()
    headers = api_world.bearer(api_world.customer_token)
    first = client.get(f"{API}/me", headers=headers)
    assert first.headers["RateLimit-Limit"] == "2"
    assert first.headers["RateLimit-Remaining"] == "1"
    client.get(f"{API}/me", headers=headers)
    refused = _problem(client.get(f"{API}/me", headers=headers), 429)
    assert refused["detail"]
    assert client.get(f"{API}/me", headers=headers).headers["Retry-After"]
