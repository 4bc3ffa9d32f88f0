"""The mail sender as a real process (`flask worker`): kill -9 while it waits on the SMTP
server drops nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from forum.extensions import db
from forum.mail.models import SENDING, SENT, OutgoingMail
from forum.notifications.runtime import get_notifier_runtime
from ideas import services as ideas
from ideas.votes import cast_vote
from tests.integration.search.test_processes import eventually, flask_env, start, stop

VOTERS = 8


def states() -> dict[str, str]:
    db.session.rollback()  # see what the worker committed
    return dict(db.session.execute(select(OutgoingMail.to_address, OutgoingMail.status)).all())


def test_kill_9_while_sending_drops_nothing_and_sends_nothing_twice(
        app, make_company, make_staff, make_idea, make_user, smtp_server, database_uri: str,
        tmp_path: Path) -> None:
    company = make_company()
    idea = make_idea(company)
    voters = [make_user(f"voter{number}") for number in range(VOTERS)]
    for voter in voters:
        cast_vote(voter, idea)
    ideas.change_status(make_staff(company, "team"), idea, "planned", "Soon.")
    db.session.commit()
    get_notifier_runtime(app).notifier().run_until_idle()
    server = smtp_server()
    stalled = voters[3].email
    server.inbox.stall[stalled] = 5.0  # the server hangs on this one, the first time
    env = flask_env(database_uri, tmp_path, MAIL_URL=server.url(), MAIL_POLL_INTERVAL="0.05",
                    MAIL_LEASE_SECONDS="1", NOTIFIER_POLL_INTERVAL="0.05")
    worker = start(env, "worker")
    try:
        eventually(lambda: stalled in server.inbox.stalling,
                   "the sender to hang on the stalled address")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=60)
    assert states()[stalled] == SENDING
    assert 0 < len(server.inbox.messages) < VOTERS, "the worker was not killed mid-batch"
    worker = start(env, "worker")
    try:
        eventually(lambda: set(states().values()) == {SENT}, "every mail to be sent")
    finally:
        stop(worker)
    received = Counter(message["To"] for message in server.inbox.messages)
    everyone = {voter.email for voter in voters} | {idea.thread.author.email}
    assert received == dict.fromkeys(everyone, 1)
