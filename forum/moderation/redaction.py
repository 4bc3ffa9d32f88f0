"""Editing personal information out of a post: the text changes for everyone, and what
was there stays as revisions only the company's moderators and site admins read."""

from __future__ import annotations

from sqlalchemy import update

from forum import policy
from forum.accounts.models import User
from forum.database import write_transaction
from forum.errors import Conflict, Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation.hiding import check_note, close_review, log_action
from forum.moderation.models import Outcome, Reason, Review
from forum.threads.models import Post, Revision
from forum.threads.posting import check_body, replace_body


def redact_post(actor: User, post: Post, body: str | None, note: str | None) -> None:
    """A moderator replaces a post's text with their edited copy of it, saying why; its
    open review, if any, closes as "redact"."""
    body, note = _check(actor, post, body, note)
    with write_transaction():
        redact(post, actor, body, note)
        close_review(post, actor, Outcome.REDACT)


def redact_reviewed(actor: User, review: Review, body: str | None, note: str | None) -> None:
    """The queue's "edit out personal information": as redact_post, for an open item."""
    policy.require(actor, policy.Action.REVIEW_FLAGS, review)
    post = review.post
    body, note = _check(actor, post, body, note)
    with write_transaction():
        if not close_review(post, actor, Outcome.REDACT):
            raise Conflict("This item was already reviewed.")
        redact(post, actor, body, note)


def _check(actor: User, post: Post, body: str | None, note: str | None) -> tuple[str, str]:
    """May the actor, and is it a redaction: a changed, non-empty text and a reason."""
    policy.require(actor, policy.Action.REDACT_POST, post)
    note = check_note(note, required=True)
    body = check_body(body or "")
    if body == post.body_source:
        raise Invalid("Nothing was edited out: change the text first.", field="body")
    return body, note


def redact(post: Post, actor: User, body: str, note: str) -> None:
    """Every earlier version may hold the same information, so all of them become the
    moderators' alone, with the one replaced now. The event and the log carry the reason,
    never the text."""
    db.session.execute(update(Revision).where(Revision.post_id == post.id)
                       .values(moderators_only=True)
                       .execution_options(synchronize_session=False))
    replace_body(actor, post, body, moderators_only=True)
    log_action(post, actor, Outcome.REDACT, Reason.PERSONAL_INFORMATION, note)
    record(events.POST_REDACTED, actor, post, post.thread.company_id,
           {"number": post.number, "reason": note,
            "category": str(Reason.PERSONAL_INFORMATION)})
