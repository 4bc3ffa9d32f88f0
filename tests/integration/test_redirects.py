"""Every POST route, asked to go back to another site, stays on this one.

The walk covers every rule that accepts POST, as a site admin (who may do everything),
as a customer and as a visitor, plainly, by htmx and by a boosted form. The routes that
read `next` (pin, unpin, lock, unlock, vote, unvote, sign in, sign up) are given what
makes them succeed, so they reach their redirect instead of a refusal.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from forum.accounts.email import _fingerprint
from forum.accounts.models import UserSession
from forum.api.tokens import create_company_token
from forum.companies.privacy import invite_guest
from forum.companies.requests import ask_for_space, confirm_work_email
from forum.companies.services import set_staff_role
from forum.extensions import db
from forum.mail import tokens
from forum.moderation import reviews, watched
from forum.moderation.flags import flag_post
from forum.moderation.queries import get_review
from forum.webhooks import services as webhooks
from ideas import segments
from ideas.services import create_tag
from ideas.votes import record_vote_on_behalf
from tests.conftest import PASSWORD

ELSEWHERE = ["https://elsewhere.example", "//elsewhere.example", "javascript:alert(1)"]
HEADERS = {
    "plain": {},
    "htmx": {"HX-Request": "true"},
    "boosted": {"HX-Request": "true", "HX-Boosted": "true"},
}
REDIRECT_HEADERS = ("Location", "HX-Redirect", "HX-Location")
ACTION_ORDER = ["pin", "unpin", "lock", "unlock"]  # each one changes something
# After these the walker signs in again (claiming an account signs in as its owner).
SIGNS_OUT = {"accounts.signout", "accounts.end_session", "accounts.end_all_sessions",
             "accounts.claim_account"}


@dataclass
class World:
    """Real rows for every id and slug a POST route can name."""

    slug: str
    thread_id: int
    reply_id: int
    idea_thread_id: int
    duplicate_thread_id: int
    general_id: int
    other_id: int
    spare_category_id: int
    membership_id: int
    tag_id: int
    spare_user_id: int
    spare_session_id: int
    segment_id: int
    ban_id: int
    word_id: int
    request_id: int  # a company request waiting for a site admin
    guest_id: int  # a guest of the (public) company
    api_token_id: int  # a company API token, to revoke
    endpoint_id: int  # a webhook of the company, with a test delivery to resend
    delivery_id: int
    tokens: dict[str, str]  # a real signed link for each route that takes one


@pytest.fixture
def world(app, admin, make_user, make_company, make_category, make_thread, make_reply, make_idea,
          make_staff) -> World:
    company = make_company("acme")
    carol = make_user("carol")
    thread = make_thread(company, author=carol)
    general_id = thread.category_id
    reply = make_reply(thread, author=carol)
    flag_post(make_user("flagger"), reply, "spam")  # a review item: its decisions read `next`
    idea = make_idea(company)
    duplicate = make_idea(company)
    make_user("newstaff")
    invited = record_vote_on_behalf(admin, duplicate, email="invitee@example.com").voter
    spare = make_user("spare")
    app.test_client().post("/signin", data={"login": "spare", "password": PASSWORD})
    # A ban to lift (decided on a flagged post of someone else) and a watched word.
    flagged = make_reply(thread, author=make_user("banned"))
    flag_post(carol, flagged, "abuse")
    ban = reviews.ban_reviewed(admin, get_review(company, flagged.id), "7", "abuse", "")
    word = watched.add_watched_word(admin, company, "watched phrase", "hold")
    spare_session_id = db.session.scalar(select(UserSession.id).where(
        UserSession.user_id == spare.id))
    unconfirmed = ask_for_space(spare, name="Initech", slug="initech",
                                website="https://initech.example",
                                work_email="spare@initech.example")
    confirm_link = tokens.sign(tokens.COMPANY_REQUEST, [unconfirmed.id, unconfirmed.work_email])
    endpoint = webhooks.add_endpoint(admin, company, url="http://127.0.0.1:9/hooks",
                                     description="", event_types=["post.created"])
    delivery = webhooks.send_test(admin, endpoint)
    waiting = ask_for_space(make_user("asker"), name="Hooli", slug="hooli",
                            website="https://hooli.example", work_email="a@hooli.example")
    confirm_work_email(tokens.sign(tokens.COMPANY_REQUEST, [waiting.id, waiting.work_email]))
    return World(
        slug=company.slug, thread_id=thread.id, reply_id=reply.id,
        idea_thread_id=idea.thread_id, duplicate_thread_id=duplicate.thread_id,
        general_id=general_id, other_id=make_category(company, "other").id,
        spare_category_id=make_category(company, "spare").id,
        membership_id=set_staff_role(admin, company, make_user("teamy").username, "team").id,
        tag_id=create_tag(admin, company, "mobile").id, spare_user_id=spare.id,
        spare_session_id=spare_session_id,
        segment_id=segments.save_segment(admin, company, name="Enterprise", weight=3).id,
        ban_id=ban.id, word_id=word.id,
        request_id=waiting.id,
        guest_id=invite_guest(admin, company, username=make_user("guesty").username).guest.id,
        api_token_id=create_company_token(admin, company, "sync", ["read"]).token.id,
        endpoint_id=endpoint.id, delivery_id=delivery.id,
        tokens={
            "companies.confirm_request": confirm_link,
            "mail.unsubscribe_now": tokens.sign(tokens.UNSUBSCRIBE, [spare.id, "replies"]),
            "accounts.claim_account": tokens.sign(
                tokens.CLAIM_ACCOUNT, [invited.id, "invitee@example.com"]),
            "accounts.reset_password": tokens.sign(
                tokens.RESET_PASSWORD, [spare.id, _fingerprint(spare), spare.email])})


def plausible_forms(world: World) -> dict[str, list[dict[str, str]]]:
    """What a person would submit to each POST endpoint; `{n}` makes a value unique."""
    return {
        "accounts.signin": [{"login": "carol", "password": PASSWORD}],
        "accounts.signup": [{"username": "newcomer{n}", "email": "newcomer{n}@example.com",
                             "password": PASSWORD}],
        "accounts.signout": [{}],
        "accounts.end_session": [{}],
        "accounts.end_all_sessions": [{}],
        "accounts.password_settings": [{"current_password": "not the password",
                                        "new_password": "a brand new passphrase"}],
        "accounts.profile_settings": [{"display_name": "Someone", "bio": "Hello."}],
        "accounts.forgot_password": [{"email": "carol@example.com"}],
        "accounts.reset_password": [{"password": "a brand new passphrase {n}"}],
        "accounts.claim_account": [{"password": "a claimed passphrase {n}"}],
        "accounts.email_settings": [{"email": "new{n}@example.com", "password": PASSWORD}],
        "accounts.resend_confirmation": [{}],
        # No provider is configured here: these answer 404 (tests/integration/accounts/
        # test_oidc.py walks them against a real one, `next` included).
        "identities.new_account": [{"username": "newcomer{n}"}],
        "identities.link": [{}],
        "identities.unlink": [{}],
        "mail.preferences": [{"kind_replies": "off", "kind_status": "daily",
                              "digest_hour": "7", "timezone": "UTC"}],
        "mail.unsubscribe_now": [{"List-Unsubscribe": "One-Click"}],
        "admin.new_company": [{"name": "Globex {n}", "slug": "globex{n}", "owner": "carol"}],
        "admin.approve_request": [{}],
        "admin.decline_request": [{"note": "Not the company's own website."}],
        "companies.ask_for_space": [{"name": "Umbrella {n}", "slug": "umbrella{n}",
                                     "website": "https://umbrella.example",
                                     "work_email": "me{n}@umbrella.example"}],
        "companies.confirm_request": [{}],
        "admin.suspend": [{"days": "7", "reason": "Spam."}],
        "admin.unsuspend": [{}],
        "companies.settings": [{"name": "Acme", "tagline": "Kettles", "description": "Yes."}],
        "companies.staff": [{"username": "newstaff", "role": "team"}],
        "companies.remove_staff": [{}],
        "companies.privacy_page": [{"customer": "guest{n}@example.com"}],
        # Public it stays: the walk goes on reading the company's pages as everyone.
        "companies.set_privacy": [{"private": "public"}],
        "companies.remove_guest": [{}],
        "threads.new_thread": [{"kind": "question", "category": str(world.general_id),
                                "title": "Where is the filter {n}?", "body": "Cannot find it."}],
        "threads.reply": [{"body": "Same here ({n})."}],
        "threads.preview": [{"body": "**bold**"}],
        "thread_staff.edit_post": [{"body": "Edited ({n})."}],
        "thread_staff.delete_post": [{}],
        "thread_staff.accept": [{"post_id": str(world.reply_id)}],
        "thread_staff.move": [{"category": str(world.other_id)}],
        "thread_staff.set_state": [{}],
        "thread_staff.manage_categories": [{"name": "Extra {n}", "slug": "extra{n}"}],
        "thread_staff.delete_category": [{}],
        "ideas.vote": [{"action": "cast"}, {"action": "retract"}],
        "ideas.propose": [{"title": "Dark mode for the app {n}", "body": "My eyes."}],
        "ideas.staff.change_status": [{"status": "planned", "note": "Soon."}],
        "ideas.staff.set_tags": [{"tags": str(world.tag_id)}],
        "ideas.staff.merge": [{"into": str(world.idea_thread_id)}],
        "ideas.staff.record_vote": [{"customer": "carol"}, {"customer": "someone@example.com"}],
        "ideas.staff.unmerge": [{"note": "Not the same request after all."}],
        "ideas.staff.manage_tags": [{"name": "Beta {n}"}],
        "ideas.staff.delete_tag": [{}],
        "ideas.triage.bulk": [{"action": "seen", "ideas": str(world.idea_thread_id)}],
        "ideas.statuses.manage_statuses": [{"label": "Beta {n}", "category": "active"}],
        "ideas.statuses.rename_status": [{"label": "Being built {n}"}],
        "ideas.statuses.move_status": [{"direction": "up"}, {"direction": "down"}],
        "ideas.statuses.remove_status": [{"into": "open"}],
        "ideas.changelog.publish": [{"title": "Release {n}", "body": "Shipped.",
                                     "ideas": str(world.idea_thread_id)}],
        "ideas.priority.weights": [{"unsegmented": "1", "not_said": "1", "nice_to_have": "1",
                                    "important": "2", "critical": "4"}],
        "ideas.priority.save_segment": [{"name": "Trial {n}", "weight": "0.5",
                                         "domains": "example.com"}],
        "ideas.priority.delete_segment": [{}],
        "ideas.priority.assign": [{"customer": "carol", "segment": ""}],
        "ideas.priority.import_customers": [{}],
        "ideas.importing.upload": [{"format": "auto"}],
        "ideas.importing.confirm": [{"upload": "not-a-kept-upload"}],
        "ideas.priority.estimates": [{"impact": "4", "effort": "2"}],
        "ideas.priority.importance": [{"importance": "2"}],
        "moderation.flag_post": [{"reason": "spam"}],
        "moderation.hide_post": [{"reason": "spam", "note": "Advertising."}],
        "moderation.restore_post": [{"note": "Not spam after all."}],
        "moderation.settings": [{"threshold": "3"}],
        "moderation.decide": [{"reason": "spam", "note": "Advertising.",
                               "body": "Edited ({n}).", "duration": "7"}],
        "moderation.redact_post": [{"body": "Edited ({n}).", "note": "A phone number."}],
        "moderation.appeal": [{"text": "It was not spam."}],
        "moderation.decide_appeal": [{"outcome": "restore", "note": "Fine."}],
        "bans.lift": [{"note": "Served."}],
        "bans.bans_page": [{"username": "flagger", "duration": "7", "reason": "spam",
                            "note": "Reported by mail."}],
        "watched_words.words": [{"phrase": "spam {n}", "action": "block"}],
        "watched_words.remove": [{}],
        "webhooks.webhooks": [{"url": "http://127.0.0.1:9/hooks/{n}",
                               "event_types": "idea.proposed"}],
        "webhooks.endpoint": [{"url": "http://127.0.0.1:9/hooks", "event_types": "vote.cast"}],
        "webhooks.switch": [{"enabled": "off"}, {"enabled": "on"}],
        "webhooks.roll_secret": [{}],
        "webhooks.send_test": [{}],
        "webhooks.resend": [{}],
        "webhooks.delete": [{}],
        "notifications.read_all": [{}],
        "notifications.follow_company": [{"state": "following"}],
        "notifications.follow_thread": [{"state": "following"}, {"state": "muted"}],
        "data.download_your_data": [{}],
        "data.download_company_export": [{}],
        # Never the right password: the walk goes on with the same people.
        "data.delete_account": [{"password": "not the password", "confirmation": "carol"}],
        "api_tokens.personal": [{"name": "script {n}", "scopes": "read"}],
        "api_tokens.revoke_personal": [{}],
        "api_tokens.company": [{"name": "sync {n}", "scopes": "write"}],
        "api_tokens.revoke_company": [{}],
    }


# Who gets through to the redirect that reads `next`, and where it then leads by default.
SUCCEEDS = {
    "thread_staff.set_state": {"admin"},
    "ideas.vote": {"admin", "customer"},
    "accounts.signin": {"visitor"},
    "accounts.signup": {"visitor"},
    "ideas.triage.bulk": {"admin"},
    # They read no `next`, but each succeeds again and again, and stays on its page.
    "ideas.statuses.manage_statuses": {"admin"},
    "ideas.statuses.rename_status": {"admin"},
}


def filled_paths(rule: Rule, world: World) -> list[str]:
    """The rule's path for each value its converters take, with this world's rows."""
    thread_id = {"ideas.vote": world.idea_thread_id,
                 "ideas.staff.change_status": world.idea_thread_id,
                 "ideas.staff.set_tags": world.idea_thread_id,
                 "ideas.staff.record_vote": world.idea_thread_id,
                 "ideas.staff.merge": world.duplicate_thread_id,
                 "ideas.staff.unmerge": world.duplicate_thread_id,
                 "ideas.priority.estimates": world.idea_thread_id,
                 "ideas.priority.importance": world.idea_thread_id}.get(rule.endpoint,
                                                                        world.thread_id)
    known = {"slug": [world.slug], "thread_id": [thread_id], "post_id": [world.reply_id],
             "category_id": [world.spare_category_id], "membership_id": [world.membership_id],
             "tag_id": [world.tag_id], "user_id": [world.spare_user_id],
             "session_id": [world.spare_session_id], "segment_id": [world.segment_id],
             "appeal_id": [1],  # none: its decisions are refused before any redirect
             "ban_id": [world.ban_id], "word_id": [world.word_id],
             "request_id": [world.request_id], "guest_id": [world.guest_id],
             "identity_id": [1],
             "token_id": [world.api_token_id],
             "endpoint_id": [world.endpoint_id], "delivery_id": [world.delivery_id],
             "token": [world.tokens.get(rule.endpoint, "")],
             # Removed once (then a 404): the others change a status that stays.
             "key": ["under_review" if rule.endpoint == "ideas.statuses.remove_status"
                     else "in_progress"]}
    choices: list[list[tuple[str, object]]] = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values: list[object] = [item for item in ACTION_ORDER if item in converter.items]
            values += sorted(converter.items - set(ACTION_ORDER))
        elif name in known:
            values = list(known[name])
        else:
            pytest.fail(f"{rule.rule}: teach this test a real value for <{name}>")
        choices.append([(name, value) for value in values])
    adapter = rule.map.bind("localhost")
    return [adapter.build(rule.endpoint, dict(combination))
            for combination in itertools.product(*choices)]


def on_site(location: str) -> bool:
    """A relative path, or an absolute URL of this test server; never another origin."""
    if any(ord(char) < 0x20 for char in location) or "\\" in location:
        return False
    if location.startswith("http://localhost/"):
        return True
    parts = urlsplit(location)
    return (location.startswith("/") and not location.startswith("//")
            and not parts.scheme and not parts.netloc)


def expected_default(endpoint: str, world: World) -> str:
    """Where a succeeding `next`-reading route goes when `next` is refused."""
    if endpoint == "thread_staff.set_state":
        return f"/c/{world.slug}/t/{world.thread_id}-"
    if endpoint == "ideas.vote":
        return f"/c/{world.slug}/ideas/{world.idea_thread_id}-"
    if endpoint == "ideas.triage.bulk":
        return f"/c/{world.slug}/manage/ideas"
    if endpoint.startswith("ideas.statuses."):
        return f"/c/{world.slug}/manage/statuses"
    return "/"


def post_routes(app: Flask) -> list[Rule]:
    """Every POST route of the pages. The JSON API's (/api/v1) read no `next`, take no
    form and never redirect: tests/integration/api covers what they answer instead."""
    return [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())
            and not rule.rule.startswith("/api/")]


def test_the_walk_knows_every_post_route(app, world):
    assert {rule.endpoint for rule in post_routes(app)} == set(plausible_forms(world))
    assert set(SUCCEEDS) <= set(plausible_forms(world))


@pytest.mark.parametrize("style", list(HEADERS))
@pytest.mark.parametrize("actor", ["admin", "customer", "visitor"])
def test_no_post_route_redirects_to_another_site(app, auth, client, world, actor, style):
    forms = plausible_forms(world)
    login = {"admin": "root", "customer": "carol"}.get(actor)
    counter = itertools.count()
    escaped: list[str] = []
    succeeded: set[str] = set()
    if login is not None:
        auth.signin(login)
    for rule in post_routes(app):
        for path, form, target in itertools.product(filled_paths(rule, world),
                                                    forms[rule.endpoint], ELSEWHERE):
            user = client if login is not None else app.test_client()  # visitors stay out
            n = next(counter)
            data = {key: value.replace("{n}", str(n)) for key, value in form.items()}
            response = user.post(f"{path}?{urlencode({'next': target})}",
                                 data={**data, "next": target}, headers=HEADERS[style])
            for header in REDIRECT_HEADERS:
                value = response.headers.get(header)
                if value is not None and not on_site(value):
                    escaped.append(f"{actor} {style} POST {path} next={target}: "
                                   f"{response.status_code} {header}: {value}")
            if actor in SUCCEEDS.get(rule.endpoint, ()):
                fragment = rule.endpoint == "ideas.vote" and style == "htmx"
                assert response.status_code == (200 if fragment else 302), (path, form)
                if not fragment:
                    default = expected_default(rule.endpoint, world)
                    assert response.headers["Location"].startswith(default), (path, target)
                succeeded.add(rule.endpoint)
            if login is not None and rule.endpoint in SIGNS_OUT:
                auth.signout()
                auth.signin(login)
    assert not escaped, "\n".join(escaped)
    assert succeeded == {endpoint for endpoint, actors in SUCCEEDS.items() if actor in actors}
