"""No malformed request answers 5xx: every route of the URL map, every class of bad value.

The walker sends each class of malformed value to every rule (in each path argument, in
the query string and in every form field a route may read), signed out, as a customer and
as a site admin. The targeted tests below it pin the answer each known case gets.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from forum.accounts.models import User
from forum.api.tokens import create_company_token
from forum.companies import privacy, requests
from forum.extensions import db
from forum.forms import FILE_MESSAGE
from forum.mail import tokens
from forum.moderation import appeals, hiding, reviews, watched
from forum.moderation.flags import flag_post
from forum.moderation.queries import get_review
from forum.routing import CLEAN_THEIR_OWN_QUERY, MAX_ID, NUL_MESSAGE
from forum.threads.models import Thread
from forum.threads.posting import MAX_BODY
from forum.webhooks import services as webhooks
from ideas import segments, votes
from ideas import services as ideas
from tests.conftest import AuthActions

HUGE = "99999999999999999999999"  # more than a 64-bit integer holds

MALFORMED = {
    "huge-number": HUGE,
    "past-integer": str(MAX_ID + 1),  # more than PostgreSQL's INTEGER id columns hold
    "superscript-two": "²",  # str.isdigit() says yes, int() says no
    "arabic-indic-digits": "١٢",  # int() reads 12: not how we write ids
    "negative": "-1",
    "nul": "\x00",
    "long-number": "9" * 5_000,  # longer than int() converts
    "long-text": "x" * (MAX_BODY + 1),  # longer than any field allows
}
BODY_ONLY = ("file", "json")  # ways to send a form body that carry no text at all

# Every name a route reads from the query string or a form, across the app.
QUERY_NAMES = ("page", "quote", "edit", "next", "category", "sort", "status", "tag", "q",
               "title", "company", "kind", "author", "date_from", "date_to")
FIELD_NAMES = ("body", "title", "login", "password", "username", "email", "post_id", "into",
               "status", "note", "tags", "category", "kind", "display_name", "bio", "name",
               "slug", "role", "days", "reason", "next", "tagline", "description", "website",
               "logo_url", "owner", "position", "official", "remember", "action",
               "current_password", "new_password", "customer", "label", "direction",
               "threshold", "url", "event_types", "enabled")

# Rules that end the session they run in go last, so the others still run signed in
# (claiming an invited account signs in as its owner).
ENDS_SESSION = ("accounts.signout", "accounts.end_session", "accounts.end_all_sessions",
                "accounts.claim_account")
ARGUMENT = re.compile(r"<(?:[^<>]*:)?(\w+)>")


@dataclass
class World:
    """One of everything a URL can name, and the people who ask."""

    customer: User
    admin: User
    real: dict[str, str]
    idea_thread: Thread

    def value(self, rule: Rule, name: str) -> str:
        """The real value of a path argument: the idea's thread on the ideas routes."""
        if name in ("thread_id", "thread_slug") and "/ideas/" in rule.rule:
            return str(self.idea_thread.id if name == "thread_id" else self.idea_thread.slug)
        if name == "token" and rule.endpoint == "accounts.claim_account":
            return self.real["claim_token"]  # a real one, so its form is reached
        assert name in self.real, f"add a real value for <{name}> ({rule.rule})"
        return self.real[name]


@pytest.fixture
def world(app: Flask, admin: User, make_user: Callable[..., User], make_company: Callable,
          make_category: Callable, make_thread: Callable, make_reply: Callable,
          make_idea: Callable, make_staff: Callable, run_indexer: Callable[[], int]) -> World:
    customer = make_user("customer")
    company = make_company("acme")
    moderator = make_staff(company, "moderator")
    category = make_category(company)
    thread = make_thread(company, author=customer, category=category)
    reply = make_reply(thread, author=customer)
    idea = make_idea(company, author=customer)
    tag = ideas.create_tag(admin, company, "Wishlist")
    segment = segments.save_segment(admin, company, name="Enterprise", weight=3)
    membership = next(m for m in company.memberships if m.user_id == moderator.id)
    invited = votes.record_vote_on_behalf(admin, idea, email="invitee@example.com").voter
    flag_post(moderator, reply, "spam")  # a review item, so its decisions are reached
    removed = make_reply(thread, author=customer)
    hiding.hide_post(admin, removed, "spam")
    appeal = appeals.file_appeal(customer, removed, "It was not spam.")  # one to decide
    # A ban to lift, from a second review (the first stays open), and a watched word.
    banned = make_reply(thread, author=make_user("banned"))
    flag_post(moderator, banned, "abuse")
    ban = reviews.ban_reviewed(moderator, get_review(company, banned.id), "7", "abuse", "")
    word = watched.add_watched_word(moderator, company, "watched phrase", "hold")
    asked = requests.ask_for_space(make_user("asker"), name="Hooli", slug="hooli",
                                   website="https://hooli.example",
                                   work_email="a@hooli.example")
    guest = privacy.invite_guest(admin, company, username=make_user("guesty").username)
    endpoint = webhooks.add_endpoint(admin, company, url="http://127.0.0.1:9/hooks",
                                     description="", event_types=["post.created"])
    delivery = webhooks.send_test(admin, endpoint)
    run_indexer()  # search answers 503 while it has no index; that is not what we test
    real = {
        "slug": company.slug, "thread_id": str(thread.id), "thread_slug": thread.slug,
        "post_id": str(reply.id), "category_id": str(category.id),
        "category_slug": category.slug, "tag_id": str(tag.id),
        "membership_id": str(membership.id), "user_id": str(customer.id),
        "username": customer.username, "session_id": "1", "action": "pin",
        "notification_id": "1", "token": "not-a-signed-link", "segment_id": str(segment.id),
        "decision": "hide", "ban_id": str(ban.id), "word_id": str(word.id),
        "claim_token": tokens.sign(tokens.CLAIM_ACCOUNT, [invited.id, "invitee@example.com"]),
        "key": "planned", "appeal_id": str(appeal.id), "request_id": str(asked.id),
        "guest_id": str(guest.guest.id), "idea_id": str(idea.thread_id),
        "identity_id": "1",  # none, and no provider configured: the routes answer 404
        "token_id": str(create_company_token(admin, company, "sync", ["read"]).token.id),
        "endpoint_id": str(endpoint.id), "delivery_id": str(delivery.id),
    }
    return World(customer, admin, real, idea.thread)


def _rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    return sorted(rules, key=lambda rule: rule.endpoint in ENDS_SESSION)


def _methods(rule: Rule) -> list[str]:
    return [method for method in ("GET", "POST") if method in (rule.methods or ())]


def _path(rule: Rule, world: World, bad: tuple[str, str] | None = None) -> str:
    """The rule's URL with real values, or with `bad` = (argument, raw value) in one place."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        raw = bad[1] if bad and bad[0] == name else world.value(rule, name)
        return quote(raw, safe="")

    return ARGUMENT.sub(fill, rule.rule)


def _body(kind: str) -> dict[str, Any]:
    """Test-client arguments for a form body where every field holds the malformed value."""
    if kind == "file":
        return {"data": {name: (io.BytesIO(b"x"), "x.txt") for name in FIELD_NAMES}}
    if kind == "json":
        return {"json": {name: {"nested": [1, None]} for name in FIELD_NAMES}}
    return {"data": dict.fromkeys(FIELD_NAMES, MALFORMED[kind])}


@dataclass(frozen=True)
class Probe:
    """One request, and the statuses it may get beyond "not 5xx" (None: any below 500)."""

    method: str
    path: str
    arguments: dict[str, Any]
    expected: frozenset[int] | None = None


NOT_FOUND, REFUSED = frozenset({404}), frozenset({400})


def _probes(rule: Rule, world: World, kind: str) -> Iterator[Probe]:
    """Every place this class of value can go in a request to this rule."""
    nul = kind == "nul"  # refused wherever it is, but in what search cleans itself
    for method in _methods(rule):
        if kind in BODY_ONLY:
            if method == "POST":
                yield Probe(method, _path(rule, world), _body(kind))
            continue
        value = MALFORMED[kind]
        for name in rule.arguments:
            is_id = f"<int:{name}>" in rule.rule  # an id that is not one matches no URL
            yield Probe(method, _path(rule, world, (name, value)), {},
                        REFUSED if nul else NOT_FOUND if is_id else None)
        query = {"query_string": dict.fromkeys(QUERY_NAMES, value)}
        cleans_query = rule.endpoint in CLEAN_THEIR_OWN_QUERY
        yield Probe(method, _path(rule, world), query,
                    REFUSED if nul and not cleans_query else None)
        if method == "POST":
            yield Probe(method, _path(rule, world), {**query, **_body(kind)},
                        REFUSED if nul else None)


def _sign_in(auth: AuthActions, world: World, user: str) -> None:
    if user != "signed-out":
        login = world.customer.username if user == "customer" else world.admin.username
        assert auth.signin(login).status_code == 302


@pytest.mark.parametrize("user", ["signed-out", "customer", "site-admin"])
@pytest.mark.parametrize("kind", [*MALFORMED, *BODY_ONLY])
def test_no_route_answers_5xx_to_malformed_input(app: Flask, client: FlaskClient,
                                                 auth: AuthActions, world: World,
                                                 kind: str, user: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    _sign_in(auth, world, user)
    rules = _rules(app)
    assert len(rules) > 40, "the walker sees the whole URL map"
    failures = []
    for rule in rules:
        for probe in _probes(rule, world, kind):
            status = client.open(probe.path, method=probe.method, **probe.arguments).status_code
            if status >= 500 or (probe.expected and status not in probe.expected):
                failures.append(f"{probe.method} {probe.path[:120]} {sorted(probe.arguments)} "
                                f"-> {status}, expected {sorted(probe.expected or ['< 500'])}")
    assert not failures, "\n".join(failures) + "\n" + caplog.text[-3000:]


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("bad", [HUGE, str(MAX_ID + 1), "١٢", "²", "-1", "9" * 5_000])
@pytest.mark.parametrize("template", ["/c/acme/t/{}", "/c/acme/t/{}-a-slug", "/c/acme/ideas/{}",
                                      "/c/acme/t/1/posts/{}/revisions"])
def test_an_id_no_column_holds_is_a_404(client: FlaskClient, auth: AuthActions, world: World,
                                        template: str, bad: str) -> None:
    auth.signin(world.admin.username)
    response = client.get(template.format(quote(bad, safe="")))
    assert response.status_code == 404
    assert "Page not found" in _text(response)


def test_the_largest_id_a_column_holds_is_still_looked_up(client: FlaskClient,
                                                           world: World) -> None:
    assert client.get(f"/c/acme/t/{MAX_ID}").status_code == 404
    assert client.get(f"/c/acme/t/{world.real['thread_id']}").status_code == 301


@pytest.mark.parametrize("bad", ["²", "١٢", HUGE, str(MAX_ID + 1), "-1", "1.5", "9" * 5_000])
def test_accepting_an_answer_that_is_not_a_post_number_is_a_400(
        client: FlaskClient, auth: AuthActions, world: World, bad: str) -> None:
    auth.signin(world.admin.username)
    response = client.post(_path_to(world, "accept"), data={"post_id": bad})
    assert response.status_code == 400
    assert "Choose the answer from this thread's posts." in _text(response)


def test_accepting_a_real_answer_still_works(client: FlaskClient, auth: AuthActions,
                                             world: World) -> None:
    auth.signin(world.admin.username)
    post_id = int(world.real["post_id"])
    response = client.post(_path_to(world, "accept"), data={"post_id": str(post_id)})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Thread, int(world.real["thread_id"])).accepted_post_id == post_id


@pytest.mark.parametrize("bad", ["²", "١٢", HUGE, str(MAX_ID + 1), "-1", "#", "9" * 5_000])
def test_merging_into_something_that_is_not_an_idea_number_is_a_400(
        client: FlaskClient, auth: AuthActions, world: World, bad: str) -> None:
    auth.signin(world.admin.username)
    response = client.post(f"/c/acme/ideas/{world.idea_thread.id}/merge", data={"into": bad})
    assert response.status_code == 400
    assert "Give the number of the idea to merge into" in _text(response)


def test_merging_into_a_number_written_with_a_hash_still_works(
        client: FlaskClient, auth: AuthActions, world: World, make_idea: Callable) -> None:
    other = make_idea(world.idea_thread.company)
    auth.signin(world.admin.username)
    response = client.post(f"/c/acme/ideas/{world.idea_thread.id}/merge",
                           data={"into": f" #{other.thread_id} "})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/c/acme/ideas/{other.thread_id}-")


def _path_to(world: World, action: str) -> str:
    return f"/c/{world.real['slug']}/t/{world.real['thread_id']}/{action}"


# (who signs in, the form's address, its fields with text, the field sent as a file)
FORMS_WITH_TEXT = [
    ("signed-out", "/signin", {"login": "customer"}, "password"),
    ("signed-out", "/signup", {"email": "new@example.com", "password": "x" * 12}, "username"),
    ("customer", "/c/acme/t/1/reply", {}, "body"),
    ("customer", "/settings/profile", {"display_name": "Cus"}, "bio"),
    ("customer", "/c/acme/forum/new", {"title": "Help", "kind": "question"}, "body"),
    ("customer", "/c/acme/ideas/new", {"title": "A dark mode"}, "body"),
]


@pytest.mark.parametrize(("user", "path", "fields", "as_file"), FORMS_WITH_TEXT,
                         ids=[form[1] for form in FORMS_WITH_TEXT])
def test_a_file_in_place_of_text_is_a_form_error(
        client: FlaskClient, auth: AuthActions, world: World, user: str, path: str,
        fields: dict[str, str], as_file: str) -> None:
    _sign_in(auth, world, user)
    data: dict[str, Any] = {**fields, as_file: (io.BytesIO(b"some text"), "notes.txt")}
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert FILE_MESSAGE in _text(response)


def test_a_json_body_reaches_no_field(client: FlaskClient, world: World) -> None:
    response = client.post("/signin", json={"login": {"$ne": None}, "password": ["x"]})
    assert response.status_code == 422
    assert "This field is required." in _text(response)


@pytest.mark.parametrize(("user", "method", "path", "arguments"), [
    ("signed-out", "GET", "/c/%00", {}),
    ("signed-out", "GET", "/u/cust%00omer", {}),
    ("signed-out", "POST", "/signin", {"data": {"login": "customer\x00", "password": "x"}}),
    ("customer", "POST", "/settings/profile", {"data": {"bio": "a\x00b"}}),
    ("site-admin", "GET", "/admin/users", {"query_string": {"q": "\x00"}}),
])
def test_nul_characters_are_refused_with_a_message(
        client: FlaskClient, auth: AuthActions, world: World, user: str, method: str,
        path: str, arguments: dict[str, Any]) -> None:
    _sign_in(auth, world, user)
    response = client.open(path, method=method, **arguments)
    assert response.status_code == 400
    assert NUL_MESSAGE in _text(response)


def test_free_text_search_still_answers_a_query_with_a_nul(client: FlaskClient,
                                                           world: World) -> None:
    assert client.get("/search", query_string={"q": "\x00descale"}).status_code == 200


@pytest.mark.parametrize("query", [{"edit": HUGE}, {"edit": str(MAX_ID + 1)}, {"page": HUGE},
                                   {"page": "²"}, {"quote": HUGE}])
def test_an_id_or_page_in_the_query_string_that_is_not_one_is_ignored(
        client: FlaskClient, auth: AuthActions, world: World, query: dict[str, str]) -> None:
    auth.signin(world.admin.username)
    for path in ("/c/acme/manage/categories", "/c/acme/forum", "/", "/ideas",
                 f"/c/acme/t/{world.real['thread_id']}-{world.real['thread_slug']}"):
        assert client.get(path, query_string=query).status_code == 200, path
