"""Issue 17, item 9, in counts (bench/moderation.py measures the time): a burst of flags
hides a post once and makes one review item; the queue's statements do not grow."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from forum.errors import NotAllowed
from forum.events.models import Event
from forum.extensions import db
from forum.moderation import flags, reviews
from forum.moderation.models import Flag, ModerationAction, Review
from forum.threads.models import Post, Thread
from tests.helpers import assert_queries_stay_flat

BURST = 12


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_burst_of_trusted_flags_hides_once_and_makes_one_review(scene, trusted_flagger):
    """Sequentially: once hidden, the post takes no more flags (the policy says it was
    removed)."""
    replies_before = scene.thread.reply_count
    refused = 0
    for number in range(BURST):
        try:
            flags.flag_post(trusted_flagger(f"flagger{number}"), scene.reply, "spam")
        except NotAllowed:
            refused += 1
    threshold = scene.company.flag_threshold
    assert refused == BURST - threshold
    assert_hidden_once(scene, replies_before, threshold)


def test_flags_racing_the_hide_hide_once(scene, trusted_flagger):
    """As if each request read the post before the hide committed: every flag counts,
    and the hide's own condition (hidden_at IS NULL) still hides it once."""
    replies_before = scene.thread.reply_count
    for number in range(BURST):
        flagger = trusted_flagger(f"flagger{number}")
        set_committed_value(scene.reply, "hidden_at", None)  # read before the hide
        flags.flag_post(flagger, scene.reply, "spam")
    assert_hidden_once(scene, replies_before, BURST)


def assert_hidden_once(scene, replies_before: int, flagged: int) -> None:
    db.session.rollback()
    db.session.expire_all()
    assert count(Flag, Flag.post_id == scene.reply.id) == flagged
    assert count(Review) == 1
    review = db.session.scalar(select(Review))
    assert review.open_flags == flagged and review.trusted_flags == flagged and review.is_open
    assert count(ModerationAction, ModerationAction.action == "hide") == 1
    assert count(Event, Event.type == "post.hidden") == 1
    post = db.session.get(Post, scene.reply.id)
    assert post.is_hidden and post.hidden_category == "pending_review"
    # The thread counted the reply out once, not once per flag past the threshold.
    assert db.session.get(Thread, scene.thread.id).reply_count == replies_before - 1


def test_the_company_queue_runs_the_same_statements_with_escalated_items(
        client, auth, make_user, make_reply, scene, count_queries):
    auth.signin("mona")
    flagger, other = make_user("carol"), make_user("dave")

    def grow(n: int) -> None:
        for number in range(n):
            reply = make_reply(scene.thread, author=make_user())
            flags.flag_post(flagger, reply, "spam")
            flags.flag_post(other, reply, "other", "Odd")
            if number % 2:
                review = db.session.scalar(select(Review).where(Review.post_id == reply.id))
                reviews.escalate_review(scene.moderator, review, "Ask the admins.")

    assert_queries_stay_flat(client, count_queries, "/c/acme/manage/moderation", grow)
