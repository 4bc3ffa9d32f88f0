"""GET /api/v1/me/home: what the /home page shows, from the same queries, and nothing of a
space the person may not see."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from forum.companies import privacy
from forum.notifications.queries import HOME_NEWS
from forum.notifications.services import FOLLOWING, set_following
from ideas import votes
from tests.integration.api.conftest import ApiWorld

API = "/api/v1"


def _activity(api_world: ApiWorld, make_idea: Any, make_reply: Any, notify: Any,
              replies: int = 1) -> None:
    """Carla follows acme, proposes an idea, votes for Ian's and hears of replies to the
    question she follows."""
    carla = api_world.customer
    set_following(carla, api_world.company, FOLLOWING)
    make_idea(api_world.company, author=carla, title="Refill pods by post")
    votes.cast_vote(carla, api_world.idea)
    set_following(carla, api_world.thread, FOLLOWING)
    for _ in range(replies):
        make_reply(api_world.thread)
    notify()


def test_home_gives_what_the_home_page_shows(client: FlaskClient, auth: Any,
                                             api_world: ApiWorld, make_idea: Any,
                                             make_reply: Any, notify: Any) -> None:
    _activity(api_world, make_idea, make_reply, notify)
    answer = client.get(f"{API}/me/home", headers=api_world.bearer(api_world.customer_token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    home = answer.get_json()
    assert home["unread"] == 2  # the reply, and Ian's idea at the company she follows
    assert [item["thread"]["id"] for item in home["news"]["items"]] == [
        api_world.thread.id, api_world.idea.thread_id]
    assert home["news"]["next_cursor"] is None
    assert [company["slug"] for company in home["companies"]] == ["acme"]
    ideas = home["sections"]["ideas"]
    assert [idea["title"] for idea in ideas["proposed"]] == ["Refill pods by post"]
    assert [idea["title"] for idea in ideas["supported"]] == [
        "Dark mode for the dashboard", "Refill pods by post"]
    assert ideas["supported"][0] == {
        "id": api_world.idea.thread_id, "title": "Dark mode for the dashboard",
        "company": "acme", "status": "open", "status_label": "Open", "vote_count": 2,
        "merged": False, "url": ideas["supported"][0]["url"]}
    auth.signin("carla")
    page = client.get("/home").get_data(as_text=True)
    for title in ("Refill pods by post", "Dark mode for the dashboard",
                  api_world.company.name, api_world.thread.title):
        assert title in page
    again = client.get(f"{API}/me/home", headers={
        **api_world.bearer(api_world.customer_token), "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_homes_news_continues_at_the_notifications_list(
        client: FlaskClient, api_world: ApiWorld, make_idea: Any, make_reply: Any,
        notify: Any) -> None:
    _activity(api_world, make_idea, make_reply, notify, replies=HOME_NEWS + 1)
    headers = api_world.bearer(api_world.customer_token)
    home = client.get(f"{API}/me/home", headers=headers).get_json()
    assert home["unread"] == HOME_NEWS + 2
    assert [item["thread"]["id"] for item in home["news"]["items"]] == [api_world.thread.id]
    assert home["news"]["items"][0]["ids"] == sorted(home["news"]["items"][0]["ids"],
                                                     reverse=True)
    assert len(home["news"]["items"][0]["ids"]) == HOME_NEWS
    cursor = home["news"]["next_cursor"]
    assert cursor is not None
    rest = client.get(f"{API}/me/notifications", query_string={"cursor": cursor},
                      headers=headers)
    assert rest.status_code == 200
    assert [item["thread"]["id"] for item in rest.get_json()["items"]] == [
        api_world.thread.id, api_world.idea.thread_id]
    assert rest.get_json()["next_cursor"] is None


def test_home_leaves_out_a_space_the_person_may_no_longer_see(
        client: FlaskClient, api_world: ApiWorld, make_idea: Any, make_reply: Any,
        notify: Any) -> None:
    _activity(api_world, make_idea, make_reply, notify)
    privacy.set_privacy(api_world.owner, api_world.company, True)
    home = client.get(f"{API}/me/home",
                      headers=api_world.bearer(api_world.customer_token)).get_json()
    assert home["news"]["items"] == [] and home["companies"] == []
    assert home["sections"]["ideas"] == {"proposed": [], "supported": []}


def test_home_is_a_persons_not_a_company_tokens_nor_a_visitors(
        client: FlaskClient, api_world: ApiWorld) -> None:
    company = client.get(f"{API}/me/home", headers=api_world.bearer(api_world.company_token))
    assert company.status_code == 403
    assert company.get_json()["detail"] == "A company token works only at its company's addresses."
    assert client.get(f"{API}/me/home").status_code == 401
