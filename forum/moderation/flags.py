"""Flagging a post: once per person, rate-limited, and hidden at once when enough
trusted accounts flag it.

A trusted account is one whose flags count towards a company's threshold: at least
FLAG_TRUSTED_ACCOUNT_DAYS old, not suspended, and the author of at least one post that
is still visible. Anyone signed in may flag; untrusted flags reach the queue all the same.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select, update

from forum import policy
from forum.accounts.models import User
from forum.database import insert_ignoring_conflicts, utcnow, write_transaction
from forum.errors import Conflict, Invalid, TooMany
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation.hiding import hide
from forum.moderation.models import PENDING_REVIEW, Flag, Reason, Review
from forum.threads.models import Post

MAX_FLAG_NOTE = 500


def flag_post(user: User, post: Post, reason: str | None, note: str | None = "") -> Flag:
    """Report a post to the company's moderators, with a reason; flagging the opening
    post flags its thread."""
    policy.require(user, policy.Action.FLAG_POST, post)
    note = (note or "").strip()
    try:
        chosen = Reason(reason or "")
    except ValueError:
        raise Invalid("Choose why you flag this post.", field="reason") from None
    if chosen == Reason.OTHER and not note:
        raise Invalid("Say what is wrong: \u201cother\u201d needs a few words.", field="note")
    if len(note) > MAX_FLAG_NOTE:
        raise Invalid(f"Notes are at most {MAX_FLAG_NOTE} characters ({len(note)} now).",
                      field="note")
    company = post.thread.company
    with write_transaction():
        check_flag_limit(user)
        trusted = is_trusted(user)
        now = utcnow()
        flag = db.session.scalar(
            insert_ignoring_conflicts(Flag).values(
                post_id=post.id, user_id=user.id, company_id=company.id, reason=str(chosen),
                note=note, trusted=trusted, created_at=now)
            .returning(Flag))
        if flag is None:
            raise Conflict("You flagged this post already.")
        trusted_flags = _count_flag(post, company.id, trusted)
        record(events.POST_FLAGGED, user, flag, company.id,
               {"post_id": post.id, "reason": str(chosen)})
        threshold = company.flag_threshold
        if threshold and trusted and trusted_flags >= threshold:
            hide(post, None, PENDING_REVIEW,
                 f"hidden pending review after {trusted_flags} flags")
    return flag


def check_flag_limit(user: User) -> None:
    """Raise TooMany once the account made its FLAGS_PER_HOUR flags in the last hour."""
    limit = current_app.config["FLAGS_PER_HOUR"]
    recent = db.session.scalar(
        select(func.count()).select_from(Flag)
        .where(Flag.user_id == user.id, Flag.created_at >= utcnow() - timedelta(hours=1)))
    if (recent or 0) >= limit:
        raise TooMany(f"You can flag {limit} posts an hour. The moderators have what you "
                      "flagged; please try again later.")


def is_trusted(user: User) -> bool:
    """Old enough, not suspended, and the author of a visible post (see the module doc)."""
    days = current_app.config["FLAG_TRUSTED_ACCOUNT_DAYS"]
    if user.is_suspended or user.created_at > utcnow() - timedelta(days=days):
        return False
    return db.session.scalar(select(Post.id).where(
        Post.author_id == user.id, Post.hidden_at.is_(None)).limit(1)) is not None


def _count_flag(post: Post, company_id: int, trusted: bool) -> int:
    """Count the flag on the post's review, opening (or reopening) it: one row per post,
    so a burst of flags makes one review. Returns its trusted flags."""
    now = utcnow()
    db.session.execute(insert_ignoring_conflicts(Review).values(
        company_id=company_id, post_id=post.id, open_flags=0, trusted_flags=0,
        opened_at=now, outcome=""))
    reopened = Review.closed_at.is_not(None)  # every SET below reads the old row
    return int(db.session.scalar(
        update(Review).where(Review.post_id == post.id)
        .values(open_flags=case((reopened, 0), else_=Review.open_flags) + 1,
                trusted_flags=case((reopened, 0), else_=Review.trusted_flags) + int(trusted),
                opened_at=case((reopened, now), else_=Review.opened_at),
                # A reopened item starts afresh: an old escalation was decided.
                escalated_at=case((reopened, None), else_=Review.escalated_at),
                escalated_by_id=case((reopened, None), else_=Review.escalated_by_id),
                escalation_note=case((reopened, ""), else_=Review.escalation_note),
                closed_at=None, closed_by_id=None, outcome="")
        .returning(Review.trusted_flags)
        .execution_options(synchronize_session=False)) or 0)
