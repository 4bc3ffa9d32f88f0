"""Notifications by mail, sent to a real SMTP server: what a mail says and carries, each
person's choice of at once, daily or never, and exactly once whatever happens."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email.policy import default

import pytest
from sqlalchemy import func, select

from forum.database import utcnow
from forum.extensions import db
from forum.mail import services as mail
from forum.mail.compose import ALL_KINDS, unsubscribe_url
from forum.mail.models import DIGEST, DIGESTED, DROPPED, QUEUED, SENT, OutgoingMail
from forum.mail.sender import latest_digest_time
from forum.moderation import hiding, reviews
from forum.moderation.flags import flag_post
from forum.moderation.queries import get_review
from forum.notifications.runtime import get_notifier_runtime
from forum.notifications.services import unread_count
from forum.threads import posting
from forum.threads.models import Post
from ideas import services as ideas
from ideas.votes import cast_vote, record_vote_on_behalf
from tests.smtp import links, path_of


def statuses() -> dict[str, int]:
    db.session.rollback()
    return dict(db.session.execute(select(OutgoingMail.status, func.count())
                                   .group_by(OutgoingMail.status)).all())


@pytest.fixture
def northwind(make_company):
    return make_company("northwind", name="Northwind Coffee")


@pytest.fixture
def team(northwind, make_staff):
    return make_staff(northwind, "team", "nora")


@pytest.fixture
def idea(northwind, make_idea, make_user):
    return make_idea(northwind, author=make_user("proposer"), title="Quieter pump")


@pytest.fixture
def maya(make_user):
    return make_user("maya")


@pytest.fixture
def voter(maya, idea):
    """Maya, who voted for the idea."""
    cast_vote(maya, idea)
    return maya


@pytest.fixture
def decide(team, idea):
    """`decide(status)`: the team moves the idea along, with a note."""
    return lambda status="planned": ideas.change_status(team, idea, status, "Soon.")


def test_a_voter_gets_the_status_change_by_mail_with_the_companys_note(
        smtp, deliver, idea, team, make_user):
    maya = make_user("maya", display_name="Maya Chen")
    cast_vote(maya, idea)
    deliver()  # the vote's own event tells nobody
    ideas.change_status(team, idea, "planned", "Coming in the spring firmware.")
    deliver()

    [mail_to_maya] = smtp.inbox.to("maya@example.com")
    assert mail_to_maya["Subject"] == "“Quieter pump” is now planned"
    assert mail_to_maya["From"].addresses[0].display_name == "Northwind Coffee via Cocreate"
    assert mail_to_maya["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail_to_maya["List-Unsubscribe"].startswith("<http://localhost/mail/unsubscribe/")
    assert mail_to_maya["Auto-Submitted"] == "auto-generated"
    text = mail_to_maya.get_body(("plain",)).get_content()
    page = mail_to_maya.get_body(("html",)).get_content()
    assert "Coming in the spring firmware." in text and "Coming in the spring firmware." in page
    assert "Northwind Coffee on Cocreate. You voted for this idea." in text
    thread_link = f"http://localhost/c/northwind/ideas/{idea.thread_id}-quieter-pump#post-2"
    assert thread_link in text and thread_link in page
    # The proposer voted too, so hears of it as well; the team member who did it does not.
    assert len(smtp.inbox.to("proposer@example.com")) == 1
    assert smtp.inbox.to("nora@example.com") == []


def test_every_mail_goes_once_however_often_the_workers_run(smtp, deliver, mailer, idea,
                                                            team, make_user):
    voters = [make_user(f"voter{number}") for number in range(5)]
    for voter in voters:
        cast_vote(voter, idea)
    ideas.change_status(team, idea, "under_review", "Looking at it.")
    deliver()
    deliver()
    mailer.run_until_idle()
    assert len(smtp.inbox.messages) == 6  # five voters and the proposer
    assert statuses() == {SENT: 6}


def test_what_is_hidden_before_it_is_sent_is_not_sent(smtp, app, deliver, mailer, make_thread,
                                                      make_user, admin):
    thread = make_thread()
    follower = make_user("follower")
    mail.save_preferences(follower, {"replies": "now"}, digest_hour=8, timezone="UTC")
    posting.post_reply(follower, thread, "Following this.")
    deliver()
    troll = make_user("troll")
    reply = posting.post_reply(troll, thread, "Something nasty.")
    db.session.commit()
    get_notifier_runtime(app).notifier().run_until_idle()  # queued, not sent yet
    hiding.hide_post(admin, reply, "abuse", "Abuse.")
    db.session.commit()
    mailer.run_until_idle()
    assert not [m for m in smtp.inbox.messages if "Something nasty" in str(m)]
    dropped = db.session.scalars(select(OutgoingMail).where(OutgoingMail.status == DROPPED))
    assert {mail.last_error for mail in dropped} == {"no longer there to tell of"}


def test_someone_who_chose_daily_gets_one_digest_across_companies_at_their_hour(
        smtp, deliver, mailer, make_company, make_staff, make_idea, make_user):
    maya = make_user("maya")
    mail.save_preferences(maya, {"status": "daily"}, digest_hour=8, timezone="Europe/Paris")
    told = []
    for slug, name in (("northwind", "Northwind Coffee"), ("lumen", "Lumen Notes")):
        company = make_company(slug, name=name)
        staff = make_staff(company, "team")
        idea = make_idea(company, title=f"An idea at {name}")
        cast_vote(maya, idea)
        ideas.change_status(staff, idea, "planned", "Soon.")
        told.append(idea)
    deliver()
    assert smtp.inbox.to("maya@example.com") == []
    assert statuses().get(DIGEST) == 2

    # Paris is an hour ahead of UTC in winter: 08:00 there is 07:00 UTC.
    db.session.refresh(maya)
    now = utcnow()
    due = now.replace(hour=7, minute=0, second=0, microsecond=0)  # the next 07:00 UTC
    if due <= now:
        due += timedelta(days=1)
    assert mailer.compose_digests(due - timedelta(minutes=1)) == 0  # 07:59 in Paris
    assert mailer.compose_digests(due + timedelta(minutes=1)) == 1
    mailer.run_until_idle()
    [digest] = smtp.inbox.to("maya@example.com")
    assert digest["Subject"] == "Your digest: 2 updates from Lumen Notes and Northwind Coffee"
    text = digest.get_body(("plain",)).get_content()
    assert "“An idea at Northwind Coffee” is now planned" in text
    assert "“An idea at Lumen Notes” is now planned" in text
    assert statuses() == {DIGESTED: 2, SENT: 3}  # the digest, and the proposers' own mail
    assert mailer.compose_digests(due + timedelta(minutes=2)) == 0  # nothing twice


def test_the_digest_hour_is_the_persons_own(maya):
    mail.save_preferences(maya, {}, digest_hour=8, timezone="America/New_York")
    winter_noon = datetime(2026, 12, 2, 12, 0)
    assert latest_digest_time(maya, winter_noon) == winter_noon.replace(hour=13) - \
        timedelta(days=1)  # 08:00 in New York is 13:00 UTC, and it is not yet 13:00
    evening = winter_noon.replace(hour=20)
    assert latest_digest_time(maya, evening) == winter_noon.replace(hour=13)


def test_off_means_no_mail_and_the_bell_still_rings(smtp, deliver, voter, decide):
    maya = voter
    mail.save_preferences(maya, {"status": "off"}, digest_hour=8, timezone="UTC")
    decide()
    deliver()
    assert smtp.inbox.to("maya@example.com") == []
    assert unread_count(maya) == 1


def test_an_unconfirmed_address_gets_no_mail_until_confirmed(smtp, deliver, idea, team,
                                                             make_user):
    newcomer = make_user("newcomer", confirmed=False)
    cast_vote(newcomer, idea)
    ideas.change_status(team, idea, "planned", "Soon.")
    deliver()
    [confirmation] = smtp.inbox.to("newcomer@example.com")  # and nothing else
    assert confirmation["Subject"] == "Confirm your email address for Cocreate"
    assert unread_count(newcomer) == 1


def test_without_mail_url_mail_is_written_as_eml_files(app, deliver, voter, decide, tmp_path):
    decide("shipped")
    deliver()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    parsed = [email.message_from_bytes(path.read_bytes(), policy=default) for path in files]
    assert [message["To"] for message in parsed if "maya" in message["To"]] == \
        ["maya@example.com"]
    assert all(path.name.endswith("-status.eml") for path in files)


def test_a_preference_turned_off_after_queueing_stops_the_mail(smtp, app, mailer, voter,
                                                               decide):
    maya = voter
    decide()
    db.session.commit()
    get_notifier_runtime(app).notifier().run_until_idle()
    mail.save_preferences(maya, {"status": "off"}, digest_hour=8, timezone="UTC")
    mailer.run_until_idle()
    assert smtp.inbox.to("maya@example.com") == []


def test_preferences_page_saves_each_kind(client, auth, maya):
    auth.signin("maya")
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "An idea you voted for or follow changes status or is merged" in page
    assert 'value="Europe/Paris"' in page
    form = {f"kind_{name}": "now" for name in ("mentions", "answers", "replies", "news",
                                                 "moderation", "status")}
    response = client.post("/settings/notifications",
                           data={**form, "kind_replies": "off", "digest_hour": "7",
                                 "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    db.session.refresh(maya)
    assert mail.preferences(maya)["replies"] == "off"
    assert (maya.digest_hour, maya.timezone) == (7, "Asia/Tokyo")
    refused = client.post("/settings/notifications",
                          data={**form, "digest_hour": "7", "timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.get_data(as_text=True)
    db.session.refresh(maya)
    assert maya.timezone == "Asia/Tokyo"


def test_queued_counts_for_mail_status(runner, smtp, deliver, voter, decide):
    decide()
    db.session.commit()
    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0
    assert f"Mail goes to: smtp://127.0.0.1:{smtp.port}" in result.output
    deliver()
    result = runner.invoke(args=["mail", "status"])
    assert "sent             2" in result.output, result.output
    assert QUEUED in result.output


def test_unsubscribe_link_in_the_mail_works_without_signing_in(smtp, app, deliver, voter,
                                                               decide):
    maya = voter
    decide()
    deliver()
    [message] = smtp.inbox.to("maya@example.com")
    link = next(link for link in links(message) if "/mail/unsubscribe/" in link)
    visitor = app.test_client()
    shown = visitor.get(path_of(link))
    assert shown.status_code == 200
    assert "An idea you voted for or follow changes status" in shown.get_data(as_text=True)
    assert mail.preferences(maya)["status"] == "now"  # a GET changes nothing
    header = message["List-Unsubscribe"].strip("<>")
    done = visitor.post(path_of(header), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    db.session.rollback()
    assert mail.preferences(maya)["status"] == "off"
    decide("shipped")
    deliver()
    assert len(smtp.inbox.to("maya@example.com")) == 1


@pytest.mark.parametrize("token", ["nonsense", "WzEsInN0YXR1cyJd.forged-signature"])
def test_a_forged_unsubscribe_link_is_a_clear_400_and_changes_nothing(client, maya, token):
    for response in (client.get(f"/mail/unsubscribe/{token}"),
                     client.post(f"/mail/unsubscribe/{token}")):
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)
    assert mail.preferences(maya)["status"] == "now"


def test_a_digest_unsubscribe_stops_every_daily_kind(smtp, app, maya):
    with app.test_request_context():
        link = unsubscribe_url(maya.id, ALL_KINDS)
    app.test_client().post(path_of(link))
    db.session.rollback()
    chosen = mail.preferences(maya)
    assert chosen["replies"] == chosen["news"] == "off"
    assert chosen["status"] == "now"  # it never went to the digest


def test_a_thread_removed_before_its_mail_goes_out_is_not_mailed(smtp, app, deliver, mailer,
                                                                 make_thread, make_user, admin):
    """The CVE class: nothing about a thread the reader may no longer see."""
    thread = make_thread()
    follower = make_user("follower")
    posting.post_reply(follower, thread, "Following this.")
    deliver()
    posting.post_reply(make_user("other"), thread, "A reply about a secret.")
    db.session.commit()
    get_notifier_runtime(app).notifier().run_until_idle()
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.number == 1))
    # Hiding the opening post removes the thread.
    hiding.hide_post(admin, opening, "personal_information", "Personal information.")
    db.session.commit()
    mailer.run_until_idle()
    assert not [m for m in smtp.inbox.messages if "secret" in str(m)]
    assert smtp.inbox.to("follower@example.com") == []


def test_a_recorded_vote_is_told_by_mail_and_a_new_address_gets_an_invitation(
        smtp, deliver, idea, team, maya):
    record_vote_on_behalf(team, idea, username="maya")
    record_vote_on_behalf(team, idea, email="newcomer@example.org")
    deliver()

    [told] = smtp.inbox.to("maya@example.com")
    assert told["Subject"] == "Northwind Coffee recorded your vote for “Quieter pump”, as you asked"
    text = told.get_body(("plain",)).get_content()
    assert "The company recorded your vote for this idea." in text
    assert f"http://localhost/c/northwind/ideas/{idea.thread_id}-quieter-pump" in text
    # The invited account has no confirmed address: the invitation is all it gets.
    [invitation] = smtp.inbox.to("newcomer@example.org")
    assert invitation["Subject"] == "Northwind Coffee made you an account on Cocreate"
    assert invitation["List-Unsubscribe"] is None  # about an account, not a list
    for part in ("plain", "html"):
        body = invitation.get_body((part,)).get_content()
        assert "Northwind Coffee recorded your vote for “Quieter pump”, as you asked." in body
        assert "http://localhost/account/claim/" in body and "newcomer" in body
    assert smtp.inbox.to("nora@example.com") == []


def test_a_ban_reaches_its_person_by_mail_with_until_when_and_why(
        smtp, deliver, northwind, make_staff, make_user, make_thread, make_reply):
    moderator = make_staff(northwind, "moderator", "mona")
    troll = make_user("troll")
    reply = make_reply(make_thread(northwind), author=troll, body="Rude words")
    flag_post(make_user("carol"), reply, "abuse")
    ban = reviews.ban_reviewed(moderator, get_review(northwind, reply.id), "30", "abuse",
                               "Insults in every reply.")
    deliver()
    [told] = smtp.inbox.to("troll@example.com")
    until = f"{ban.until.day} {ban.until:%B %Y}"
    assert told["Subject"] == (f"Northwind Coffee\u2019s moderators banned you from posting there "
                               f"until {until} (abuse or harassment): Insults in every reply. "
                               "You can still read everything.")
    text = told.get_body(("plain",)).get_content()
    assert "Open it: http://localhost/c/northwind" in text
    assert path_of(links(told)[0]) == "/c/northwind"
