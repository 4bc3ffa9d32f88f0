"""Search over the API with the search page's filters (kind, status, tag, author, dates,
sort), read and checked by the page's own form, paged with cursors of that one search."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.api.conftest import ApiWorld

API = "/api/v1"


def _ids(client: FlaskClient, api_world: ApiWorld, **args: str) -> list[int]:
    answer = client.get(f"{API}/search", query_string=args,
                        headers=api_world.bearer(api_world.customer_token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [hit["thread_id"] for hit in answer.get_json()["items"]]


def test_the_search_pages_filters(client: FlaskClient, api_world: ApiWorld,
                                  make_thread: Any, make_user: Any,
                                  run_indexer: Any) -> None:
    idea, question = api_world.idea.thread_id, api_world.thread.id
    talk = make_thread(api_world.company, author=make_user("dora"), kind="discussion",
                       title="The dashboard in dark rooms")
    run_indexer()
    assert _ids(client, api_world, q="dashboard", kind="idea") == [idea]
    assert _ids(client, api_world, q="dashboard", kind="discussion") == [talk.id]
    assert _ids(client, api_world, q="dashboard", status="open") == [idea]
    assert _ids(client, api_world, q="dashboard", author="dora") == [talk.id]
    assert _ids(client, api_world, company="acme", kind="question") == [question]
    assert _ids(client, api_world, kind="idea", sort="votes") == [idea]
    newest = _ids(client, api_world, company="acme", sort="newest")
    assert newest == [talk.id, question, idea]
    assert _ids(client, api_world, q="dashboard", date_from="2000-01-01",
                date_to="2000-12-31") == []


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"q": "x", "kind": "rumour"}, "kind", None),
    ({"q": "x", "sort": "oldest"}, "sort", None),
    ({"q": "x", "status": "Not-A-Key"}, "status", None),
    ({"q": "x", "status": "vanished", "company": "acme"}, "status",
     "Choose a status from the list."),
    ({"q": "x", "date_from": "2026-13-01"}, "date_from", "Enter a date as YYYY-MM-DD."),
    ({"q": "x", "date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to",
     "The end date comes before the start date."),
    ({}, "q", "Say what to search for in 'q', or filter."),
])
def test_a_wrong_filter_is_a_400_naming_it(client: FlaskClient, api_world: ApiWorld,
                                           run_indexer: Any, args: dict[str, str],
                                           field: str, message: str | None) -> None:
    run_indexer()
    answer = client.get(f"{API}/search", query_string=args,
                        headers=api_world.bearer(api_world.customer_token))
    assert answer.status_code == 400
    problem = answer.get_json()
    assert problem["errors"][0]["field"] == field
    if message is not None:
        assert problem["detail"] == message


def test_a_cursor_belongs_to_its_search(client: FlaskClient, api_world: ApiWorld,
                                        make_idea: Any, run_indexer: Any) -> None:
    for number in range(21):
        make_idea(api_world.company, title=f"Quieter pump, take {number}")
    run_indexer()
    headers = api_world.bearer(api_world.customer_token)
    first = client.get(f"{API}/search", query_string={"q": "pump", "kind": "idea"},
                       headers=headers).get_json()
    assert len(first["items"]) == 20 and first["next_cursor"]
    rest = client.get(f"{API}/search", headers=headers, query_string={
        "q": "pump", "kind": "idea", "cursor": first["next_cursor"]}).get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = {hit["thread_id"] for hit in first["items"] + rest["items"]}
    assert len(seen) == 21
    other = client.get(f"{API}/search", headers=headers, query_string={
        "q": "pump", "kind": "question", "cursor": first["next_cursor"]})
    assert other.status_code == 400 and other.get_json()["errors"][0]["field"] == "cursor"
