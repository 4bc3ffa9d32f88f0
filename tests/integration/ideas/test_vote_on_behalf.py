"""Votes a team member records for customers who asked by mail or on a call: by username,
or by address (the address's account, else an invited one that its owner claims from a
mailed link); each counts once, shows who recorded it, and the customer hears of it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.database import utcnow
from forum.events.models import Event
from forum.extensions import db
from forum.mail.models import OutgoingMail
from ideas import merging
from ideas import services as ideas
from ideas.models import Idea, Vote
from ideas.votes import cast_vote, record_vote_on_behalf
from tests.helpers import heard

HTMX = {"HX-Request": "true"}
NEW_PASSWORD = "a claimed passphrase"


@pytest.fixture
def idea(acme, make_idea):
    return make_idea(acme, title="Descale reminders")


def record(client, idea, customer: str, **headers: str):
    return client.post(f"/c/acme/ideas/{idea.thread_id}/record-vote",
                       data={"customer": customer}, headers=headers)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    return re.findall(r'class="alert alert-\w+"[^>]*>([^<]*)<', response.get_data(as_text=True))


def votes_of(idea) -> dict[str, str | None]:
    """{voter's username: recorder's username or None} and the idea's count, fresh."""
    db.session.rollback()
    rows = db.session.execute(select(Vote).where(Vote.idea_id == idea.id)).scalars()
    return {vote.user.username: vote.recorded_by and vote.recorded_by.username
            for vote in rows}


def count(idea) -> int:
    db.session.rollback()
    return db.session.get(Idea, idea.id).vote_count


def invitations_to(address: str) -> list[OutgoingMail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutgoingMail).where(
        OutgoingMail.to_address == address).order_by(OutgoingMail.id)))


def claim_path(mail: OutgoingMail) -> str:
    link = re.search(r"http://\S+/account/claim/\S+", mail.text_body)
    assert link is not None, mail.text_body
    return urlsplit(link.group(0)).path


def test_by_username_the_vote_is_theirs_shows_who_recorded_it_and_they_hear(
        client, auth, team, idea, make_user, notify):
    carol = make_user("carol", display_name="Carol Jones")
    auth.signin("tess")
    response = record(client, idea, "@Carol")
    assert response.status_code == 302
    assert f"/ideas/{idea.thread_id}-" in response.headers["Location"]
    assert flashes(client.get(response.headers["Location"]))[-1] == (
        "Vote recorded for @carol. They will hear of it.")
    assert votes_of(idea) == {idea.thread.author.username: None, "carol": "tess"}
    assert count(idea) == 2
    notify()
    assert heard(carol) == ["vote.recorded"]
    auth.signout()
    auth.signin("carol")
    told = client.get("/notifications").get_data(as_text=True)
    assert "Acme recorded your vote for “Descale reminders”, as you asked" in told
    page = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}").get_data(
        as_text=True)
    assert "Carol Jones" in page and "recorded by tess (Acme)" in page
    assert 'aria-pressed="true"' in page  # her vote: she may take it back
    assert "Descale reminders" in client.get("/u/carol").get_data(as_text=True)
    retracted = client.post(f"/c/acme/ideas/{idea.thread_id}/vote", data={"action": "retract"})
    assert retracted.status_code == 302 and count(idea) == 1


def test_by_a_new_address_an_invited_account_is_mailed_a_link_to_claim_it(
        client, auth, team, idea, notify):
    auth.signin("tess")
    response = record(client, idea, "  Dana.Ross+cafe@Example.org ")
    assert response.status_code == 302
    assert flashes(client.get(response.headers["Location"]))[-1] == (
        "Vote recorded for Dana.Ross+cafe@Example.org. They will hear of it.")
    dana = db.session.scalar(select(User).where(User.invited_at.is_not(None)))
    assert dana is not None and dana.username == "Dana_Ross_cafe"
    assert (dana.email, dana.pending_email) == (None, "Dana.Ross+cafe@Example.org")
    assert votes_of(idea)["Dana_Ross_cafe"] == "tess" and count(idea) == 2
    [mail] = invitations_to("Dana.Ross+cafe@Example.org")
    assert mail.subject == "Acme made you an account on Cocreate"
    assert "Acme recorded your vote for “Descale reminders”, as you asked." in mail.text_body
    assert f"/c/acme/ideas/{idea.thread_id}-" in mail.text_body
    auth.signout()
    for login in ("Dana_Ross_cafe", "Dana.Ross+cafe@Example.org"):  # nobody opens it yet
        assert auth.signin(login, "").status_code == 422
        assert auth.signin(login, NEW_PASSWORD).status_code == 401

    form = client.get(claim_path(mail))
    assert form.status_code == 200 and "Dana_Ross_cafe" in form.get_data(as_text=True)
    claimed = client.post(claim_path(mail), data={"password": NEW_PASSWORD})
    assert claimed.status_code == 302
    notify()
    home = client.get(claimed.headers["Location"])
    assert flashes(home)[0].startswith("Welcome to Cocreate, Dana_Ross_cafe! The account is")
    assert "Acme recorded your vote for “Descale reminders”" in home.get_data(as_text=True)
    db.session.rollback()
    dana = db.session.get(User, dana.id)
    assert (dana.email, dana.pending_email) == ("Dana.Ross+cafe@Example.org", None)
    assert dana.email_confirmed_at is not None and not dana.is_unclaimed
    assert heard(dana) == ["vote.recorded"]
    assert votes_of(idea)["Dana_Ross_cafe"] == "tess" and count(idea) == 2
    again = client.post(claim_path(mail), data={"password": "another passphrase"})
    assert again.status_code == 400 and "claimed already" in again.get_data(as_text=True)
    auth.signout()
    assert auth.signin("dana.ross+cafe@example.org", NEW_PASSWORD).status_code == 302


def test_a_second_invitation_to_the_same_address_reuses_the_waiting_account(
        team, acme, make_idea):
    first, second = make_idea(acme), make_idea(acme)
    one = record_vote_on_behalf(team, first, email="sam@example.net")
    two = record_vote_on_behalf(team, second, email="SAM@example.net")
    assert one.invited and two.invited and one.voter.id == two.voter.id
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.invited_at.is_not(None))) == 1
    first_mail, second_mail = invitations_to("sam@example.net")  # as first given
    assert first.thread.title in first_mail.text_body
    assert second.thread.title in second_mail.text_body


def test_by_the_address_of_an_account_the_vote_is_its_and_the_answer_names_no_one(
        client, auth, team, idea, make_user):
    make_user("quietly")  # confirmed at quietly@example.com
    auth.signin("tess")
    response = record(client, idea, "Quietly@Example.com", **HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    answer = body[:body.index('id="voters"')]  # the voter list is public: it names them
    assert "Vote recorded for Quietly@Example.com. They will hear of it." in answer
    assert answer.lower().count("quietly") == 1
    assert votes_of(idea)["quietly"] == "tess"
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.invited_at.is_not(None))) == 0
    assert invitations_to("Quietly@Example.com") == []


def test_an_address_only_waiting_to_be_confirmed_finds_no_account(team, idea, make_user):
    waiting = make_user("waiting", confirmed=False)  # waiting@example.com, unconfirmed
    recorded = record_vote_on_behalf(team, idea, email="waiting@example.com")
    assert recorded.invited and recorded.voter.id != waiting.id
    assert "waiting" not in votes_of(idea)


@pytest.mark.parametrize("voted_by", ["themselves", "a team member"])
def test_recording_a_vote_someone_has_changes_nothing_and_says_so(
        client, auth, team, idea, make_user, voted_by):
    carol = make_user("carol")
    if voted_by == "themselves":
        cast_vote(carol, idea)
    else:
        record_vote_on_behalf(team, idea, username="carol")
    auth.signin("tess")
    plain = record(client, idea, "carol")
    assert plain.status_code == 422
    assert "@carol has voted for this idea already: nothing changed." in text(plain)
    htmx = record(client, idea, "carol@example.com", **HTMX)
    assert htmx.status_code == 422 and htmx.headers["HX-Retarget"] == "#record-vote"
    assert ("carol@example.com has voted for this idea already: nothing changed."
            in htmx.get_data(as_text=True))
    assert count(idea) == 2 and len(votes_of(idea)) == 2
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "vote.recorded")) == (0 if voted_by == "themselves" else 1)


@pytest.mark.parametrize(("customer", "message"), [
    ("", "This field is required."),
    ("nobody_here", "There is nobody called @nobody_here here."),
    ("not@an address", "Enter an email address like name@example.com."),
])
def test_a_customer_who_cannot_be_found_is_a_clear_message_and_nothing_is_saved(
        client, auth, team, idea, customer, message):
    auth.signin("tess")
    response = record(client, idea, customer, **HTMX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(idea) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 3  # root, tess, author


@pytest.mark.parametrize("who", ["customer", "moderator", "team elsewhere"])
def test_only_this_companys_product_team_records_votes(client, auth, idea, make_user,
                                                      make_staff, make_company, who):
    if who == "customer":
        make_user("someone")
    elif who == "moderator":
        make_staff(idea.company, "moderator", "someone")
    else:
        make_staff(make_company("globex"), "team", "someone")
    make_user("carol")
    auth.signin("someone")
    response = record(client, idea, "carol")
    assert response.status_code == 403
    assert "Only the company's product team records votes" in text(response)
    assert count(idea) == 1
    page = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}")
    assert "Record a vote for a customer" not in page.get_data(as_text=True)


def test_a_closed_idea_takes_no_recorded_votes(client, auth, team, idea, make_user):
    make_user("carol")
    ideas.change_status(team, idea, "shipped", "Out now.")
    auth.signin("tess")
    page = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}")
    assert "Record a vote for a customer" not in page.get_data(as_text=True)
    response = record(client, idea, "carol")
    assert response.status_code == 403
    assert "Voting is closed: this idea is shipped." in text(response)
    assert count(idea) == 1


def test_with_htmx_the_form_comes_back_empty_and_the_voter_list_follows(
        client, auth, team, idea, make_user):
    make_user("carol", display_name="Carol Jones")
    auth.signin("tess")
    page = client.get(f"/c/acme/ideas/{idea.thread_id}-{idea.thread.slug}").get_data(
        as_text=True)
    assert 'id="record-vote"' in page and "Their username or email address" in page
    response = record(client, idea, "carol", **HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="record-vote"' in body and 'role="status"' in body
    assert 'value="carol"' not in body
    voters = body[body.index('id="voters"') - 30:]
    assert 'hx-swap-oob="true"' in voters and "2 votes" in voters
    assert "Carol Jones" in voters and "recorded by tess (Acme)" in voters


def test_a_merge_keeps_who_recorded_a_vote(team, acme, make_idea, make_user):
    duplicate, kept = make_idea(acme), make_idea(acme)
    make_user("carol")
    record_vote_on_behalf(team, duplicate, username="carol")
    merging.merge_ideas(team, duplicate, kept, "")
    assert votes_of(kept)["carol"] == "tess"


def test_no_vote_is_recorded_for_a_suspended_account(client, auth, admin, team, idea,
                                                     make_user):
    carol = make_user("carol")
    accounts.suspend(admin, carol, utcnow() + timedelta(days=3), "Spam.")
    auth.signin("tess")
    response = record(client, idea, "carol", **HTMX)
    assert response.status_code == 422
    assert "@carol is suspended: no vote can be recorded for them now." in text(response)
    assert count(idea) == 1 and "carol" not in votes_of(idea)
