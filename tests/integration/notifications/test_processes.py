"""The notifier as a real process: kill -9 in the middle of a backlog drops nothing and
sends nothing twice. The worker runs as `flask worker` against this test's database."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from forum.events.log import newest_id
from forum.events.models import Event
from forum.extensions import db
from forum.notifications.models import EventCursor, Notification
from forum.notifications.notifier import NAME
from forum.threads import posting
from tests.integration.search.test_processes import eventually, flask_env, start, stop

REPLIES = 300


def cursor() -> int:
    db.session.rollback()  # see what the worker committed
    # The notifier's: the webhook dispatcher, in the same worker, keeps a cursor too.
    return int(db.session.scalar(select(EventCursor.last_event_id)
                                 .where(EventCursor.name == NAME)) or 0)


def test_kill_9_in_the_middle_of_a_backlog_drops_nothing_and_repeats_nothing(
        make_thread, make_user, notify: Callable[[], int], database_uri: str,
        tmp_path: Path) -> None:
    thread = make_thread()
    followers = [make_user(f"follower{number}") for number in range(4)]
    for follower in followers:
        posting.post_reply(follower, thread, f"Following, says {follower.username}.")
    notify()
    before = cursor()
    chatty = make_user("chatty")
    for number in range(REPLIES):
        posting.post_reply(chatty, thread, f"Reply number {number}")
    db.session.commit()
    newest = newest_id(db.session)
    env = flask_env(database_uri, tmp_path, NOTIFIER_BATCH_SIZE="3",
                    NOTIFIER_POLL_INTERVAL="0.05")
    worker = start(env, "worker")
    try:
        eventually(lambda: cursor() > before, "the notifier's first batch")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=60)
    assert before < cursor() < newest, "the worker was not killed mid-backlog"
    worker = start(env, "worker")
    try:
        eventually(lambda: cursor() == newest, "the backlog to drain")
    finally:
        stop(worker)
    replies = select(Event.id).where(Event.type == "post.created", Event.id > before)
    heard = db.session.execute(
        select(Notification.user_id, func.count()).where(Notification.event_id.in_(replies))
        .group_by(Notification.user_id)).all()
    # Everyone following (the four and the thread's author) heard of every reply, once;
    # the one who wrote them heard of none.
    assert dict(heard) == {user.id: REPLIES for user in [*followers, thread.author]}
