"""Deciding a review item: keep the post, hide it, lock its thread, ban its author, or
escalate it to the site admins; and the company's flag threshold."""

from __future__ import annotations

from sqlalchemy import update

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation import bans
from forum.moderation.hiding import (
    check_note,
    check_reason,
    close_review,
    hide,
    log_action,
    rehide,
    restore,
)
from forum.moderation.models import AWAITING_REVIEW, CompanyBan, Outcome, Review
from forum.threads.models import State

MAX_THRESHOLD = 100


def keep_post(actor: User, review: Review, note: str | None) -> None:
    """Dismiss the flags: the post stays, and shows again if the threshold had hidden it."""
    policy.require(actor, policy.Action.REVIEW_FLAGS, review)
    note = check_note(note, required=True)
    post = review.post
    with write_transaction():
        _close(review, actor, Outcome.KEEP)
        if _awaiting(review):
            restore(post, actor, note)
        log_action(post, actor, Outcome.KEEP, "", note)
        record(events.FLAGS_DISMISSED, actor, post, review.company_id,
               {"number": post.number, "reason": note})


def hide_reviewed(actor: User, review: Review, reason: str | None, note: str | None) -> None:
    """Hide the flagged post with a reason (or give the threshold's hide its reason)."""
    policy.require(actor, policy.Action.REVIEW_FLAGS, review)
    post = review.post
    pending = _awaiting(review)
    if not pending:
        policy.require(actor, policy.Action.HIDE_POST, post)
    note = check_note(note, required=False)
    category = check_reason(reason, note)
    with write_transaction():
        _close(review, actor, Outcome.HIDE)
        if pending:
            rehide(post, actor, category, note)
        elif not hide(post, actor, category, note):
            raise Conflict("This post was already removed.")


def lock_reviewed(actor: User, review: Review, reason: str | None, note: str | None) -> None:
    """Lock the flagged post's thread: it keeps its posts and takes no new replies."""
    policy.require(actor, policy.Action.REVIEW_FLAGS, review)
    thread = review.post.thread
    policy.require(actor, policy.Action.LOCK_THREAD, thread)
    note = check_note(note, required=False)
    category = check_reason(reason, note)
    with write_transaction():
        _close(review, actor, Outcome.LOCK)
        thread.state = State.LOCKED.value
        log_action(review.post, actor, Outcome.LOCK, category, note)
        record(events.THREAD_LOCKED, actor, thread, thread.company_id,
               {"reason": note, "category": str(category), "post_id": review.post_id})


def escalate_review(actor: User, review: Review, note: str | None) -> None:
    """Hand a hard case to the site admins, saying why: the item stays open (in the
    company's queue, marked, and first in the admins' queue) until someone decides it."""
    policy.require(actor, policy.Action.ESCALATE, review)
    note = check_note(note, required=True)
    with write_transaction():
        # The row's own condition decides, so two moderators at once escalate it once.
        escalated = db.session.execute(
            update(Review).where(Review.id == review.id, Review.escalated_at.is_(None),
                                 Review.closed_at.is_(None))
            .values(escalated_at=utcnow(), escalated_by_id=actor.id, escalation_note=note)
            .execution_options(synchronize_session=False)).rowcount
        if not escalated:
            raise Conflict("This item was already escalated to the site admins.")
        record(events.REVIEW_ESCALATED, actor, review.post, review.company_id,
               {"number": review.post.number, "note": note})
    db.session.refresh(review)
def ban_reviewed(actor: User, review: Review, length: str | None, reason: str | None,
                 note: str | None) -> CompanyBan:
    """Ban the post's author from posting at the company for a time, with a reason they
    read; a post hidden pending this review stays hidden, with the ban's reason."""
    policy.require(actor, policy.Action.REVIEW_FLAGS, review)
    post = review.post
    policy.require(actor, policy.Action.BAN_USER, policy.Standing(review.company, post.author))
    days = bans.check_length(length)
    note = check_note(note, required=False)
    category = check_reason(reason, note)
    with write_transaction():
        _close(review, actor, Outcome.BAN)
        if _awaiting(review):
            rehide(post, actor, category, note)
        return bans.ban(actor, review.company, post.author, days, category, note, post)


def set_flag_threshold(actor: User, company: Company, threshold: int | None) -> None:
    """How many flags from trusted accounts hide a post at once (0: never)."""
    policy.require(actor, policy.Action.MODERATE, company)
    if threshold is None or not 0 <= threshold <= MAX_THRESHOLD:
        raise Invalid(f"Give a number from 0 (never) to {MAX_THRESHOLD}.", field="threshold")
    with write_transaction():
        record(events.FLAG_THRESHOLD_SET, actor, company, company,
               {"threshold": [company.flag_threshold, threshold]})
        company.flag_threshold = threshold


def _awaiting(review: Review) -> bool:
    """Hidden until a moderator decides: by the flag threshold, or held for a watched word."""
    return review.post.is_hidden and review.post.hidden_category in AWAITING_REVIEW


def _close(review: Review, actor: User, outcome: Outcome) -> None:
    if not close_review(review.post, actor, outcome):
        raise Conflict("This item was already reviewed.")
