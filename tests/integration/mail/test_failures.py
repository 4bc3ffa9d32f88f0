"""When mail cannot go: a server that is down, refuses, stalls or wants a login. Mail
stays queued and is retried with backoff, never lost, never sent twice; an address
refused for good gets no more mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.database import utcnow
from forum.extensions import db
from forum.mail.models import BOUNCED, FAILED, QUEUED, SENT, OutgoingMail
from forum.mail.sender import backoff
from forum.notifications.runtime import get_notifier_runtime
from ideas import services as ideas
from ideas.votes import cast_vote
from tests.smtp import free_port


@pytest.fixture
def planned(app, make_company, make_staff, make_idea, make_user) -> Callable[..., list[User]]:
    """`planned(n)`: n voters of an idea that is then planned; their mail is queued."""

    def make(voters: int = 1) -> list[User]:
        company = make_company()
        team = make_staff(company, "team")
        idea = make_idea(company)
        people = [make_user() for _ in range(voters)]
        for person in people:
            cast_vote(person, idea)
        ideas.change_status(team, idea, "planned", "Soon.")
        db.session.commit()
        get_notifier_runtime(app).notifier().run_until_idle()
        return people

    return make


def mails() -> list[OutgoingMail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_a_server_that_is_down_leaves_mail_queued_and_retried_with_backoff(
        app, mailer, planned, smtp_server, runner):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    planned(1)
    done = mailer.run_until_idle()
    assert done.sent == 0 and done.retried == 1
    first, *rest = mails()
    assert (first.status, first.attempts) == (QUEUED, 1)
    assert "could not reach 127.0.0.1" in first.last_error
    assert first.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert all(mail.attempts == 0 and mail.status == QUEUED for mail in rest)
    status = runner.invoke(args=["mail", "status"]).output
    assert "could not reach 127.0.0.1" in status and "next try in" in status

    server = smtp_server()
    app.config["MAIL_URL"] = server.url()
    later = utcnow() + timedelta(minutes=5)
    mailer.run_once(later)
    assert mailer.run_until_idle().sent == 0  # nothing left to send, nothing twice
    assert len(server.inbox.messages) == 2  # the voter's and the proposer's
    assert {mail.status for mail in mails()} == {SENT}


def test_a_temporary_refusal_is_retried_and_a_permanent_one_stops_mail_to_the_address(
        app, mailer, planned, smtp_server):
    server = smtp_server()
    app.config["MAIL_URL"] = server.url()
    busy, gone = planned(2)
    server.inbox.refuse[busy.email] = "451 4.3.0 Try again later"
    server.inbox.refuse[gone.email] = "550 5.1.1 No such user here"
    mailer.run_until_idle()
    mailer.run_once(utcnow() + timedelta(hours=1))
    mailer.run_once(utcnow() + timedelta(hours=2))
    by_address = {mail.to_address: mail for mail in mails()}
    assert by_address[busy.email].status == QUEUED
    assert by_address[busy.email].last_error == "451 4.3.0 Try again later"
    assert by_address[gone.email].status == BOUNCED
    db.session.refresh(gone)
    assert gone.mail_bounced_at is not None and gone.mail_address is None
    del server.inbox.refuse[busy.email]
    mailer.run_once(utcnow() + timedelta(hours=3))
    assert [message["To"] for message in server.inbox.to(busy.email)] == [busy.email]
    assert server.inbox.to(gone.email) == []


def test_a_stalling_server_times_out_and_the_mail_goes_later(app, mailer, planned,
                                                             smtp_server):
    server = smtp_server()
    app.config.update(MAIL_URL=server.url(), MAIL_TIMEOUT=0.5)
    [voter] = planned(1)
    server.inbox.stall[voter.email] = 3.0
    done = mailer.run_until_idle()
    assert done.retried == 1 and "timed out" in done.errors[0]
    mailer.run_once(utcnow() + timedelta(minutes=10))
    mailer.run_once(utcnow() + timedelta(minutes=20))
    assert len(server.inbox.to(voter.email)) == 1


def test_mail_that_always_fails_waits_for_flask_mail_retry(app, mailer, planned, runner,
                                                           smtp_server):
    app.config.update(MAIL_URL=f"smtp://127.0.0.1:{free_port()}", MAIL_MAX_ATTEMPTS=2)
    planned(1)
    mailer.run_until_idle()
    mailer.run_once(utcnow() + timedelta(days=1))
    mailer.run_once(utcnow() + timedelta(days=2))
    assert FAILED in {mail.status for mail in mails()}
    server = smtp_server()
    app.config["MAIL_URL"] = server.url()
    assert "queued again" in runner.invoke(args=["mail", "retry"]).output
    mailer.run_once(utcnow() + timedelta(days=3))
    assert {mail.status for mail in mails()} == {SENT}
    assert len(server.inbox.messages) == 2


def test_starttls_and_login(app, mailer, planned, smtp_server):
    server = smtp_server(tls=True, login=("cocreate", "s3cret pass"))
    app.config.update(MAIL_URL=server.url("cocreate:wrong"), MAIL_CA_FILE=server.ca_file)
    [voter] = planned(1)
    done = mailer.run_until_idle()
    assert done.sent == 0 and "refused the login" in done.errors[0]
    app.config["MAIL_URL"] = server.url("cocreate:s3cret%20pass")
    mailer.run_once(utcnow() + timedelta(minutes=10))
    assert len(server.inbox.to(voter.email)) == 1


def test_no_password_goes_to_a_server_without_starttls(app, mailer, planned, smtp_server):
    server = smtp_server()
    app.config["MAIL_URL"] = server.url("cocreate:secret")
    planned(1)
    done = mailer.run_until_idle()
    assert "never sent in the clear" in done.errors[0]
    assert server.inbox.messages == []


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(20, 60) == timedelta(hours=6)


def test_flask_mail_bounced_stops_mail_to_an_address(runner, make_user):
    maya = make_user("maya")
    result = runner.invoke(args=["mail", "bounced", "MAYA@example.com"])
    assert result.exit_code == 0
    db.session.refresh(maya)
    assert maya.mail_address is None
    again = runner.invoke(args=["mail", "bounced", "nobody@example.com"])
    assert again.exit_code != 0 and "No account has nobody@example.com" in again.output

