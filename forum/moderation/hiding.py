"""Hiding a post with a reason, and restoring exactly what was there."""

from __future__ import annotations

from sqlalchemy import select, update

from forum import policy
from forum.accounts.models import User
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.moderation.models import Flag, ModerationAction, Outcome, Reason, Review
from forum.threads.models import Category, Post, PostKind, Thread

MAX_NOTE = 300  # what posts.hidden_reason holds


def check_note(note: str | None, *, required: bool) -> str:
    """A moderator's note: the person it concerns reads it."""
    note = (note or "").strip()
    if required and not note:
        raise Invalid("Say why: the person it concerns reads this.", field="note")
    if len(note) > MAX_NOTE:
        raise Invalid(f"Notes are at most {MAX_NOTE} characters ({len(note)} now).",
                      field="note")
    return note


def check_reason(reason: str | None, note: str) -> Reason:
    """One of the reason categories; "other" says what in the note."""
    try:
        chosen = Reason(reason or "")
    except ValueError:
        raise Invalid("Choose a reason.", field="reason") from None
    if chosen == Reason.OTHER and not note:
        raise Invalid("Say what the reason is: \u201cother\u201d needs a few words.",
                      field="note")
    return chosen


def hide_post(actor: User, post: Post, reason: str | None, note: str | None = "") -> None:
    """A moderator hides a post with a reason its author and everyone else see."""
    policy.require(actor, policy.Action.HIDE_POST, post)
    note = check_note(note, required=False)
    category = check_reason(reason, note)
    with write_transaction():
        if not hide(post, actor, category, note):
            raise Conflict("This post was already removed.")
        close_review(post, actor, Outcome.HIDE)


def hide(post: Post, actor: User | None, category: str, note: str) -> bool:
    """Hide `post` unless it is hidden already (the row's own condition decides, so two at
    once hide it once), with its counters and event; `actor` None: the flag threshold."""
    now = utcnow()
    hidden = db.session.execute(
        update(Post).where(Post.id == post.id, Post.hidden_at.is_(None))
        .values(hidden_at=now, hidden_by_id=actor.id if actor else None,
                hidden_reason=note, hidden_category=str(category))
        .execution_options(synchronize_session=False)).rowcount
    if not hidden:
        return False
    thread = post.thread
    _count(post, thread, -1)
    if post.number == 1:
        thread.hidden_at, thread.hidden_by_id = now, actor.id if actor else None
        thread.hidden_reason = note
    cleared = thread.accepted_post_id == post.id
    if cleared:
        thread.accepted_post_id = None
    log_action(post, actor, Outcome.HIDE, category, note, cleared_answer=cleared)
    record(events.POST_HIDDEN, actor, post, thread.company_id,
           {"number": post.number, "by_author": False, "reason": note,
            "category": str(category), "automatic": actor is None})
    return True


def rehide(post: Post, actor: User, category: str, note: str) -> None:
    """A moderator confirms a hide the flag threshold made, with their own reason."""
    db.session.execute(update(Post).where(Post.id == post.id).values(
        hidden_by_id=actor.id, hidden_reason=note, hidden_category=str(category))
        .execution_options(synchronize_session=False))
    log_action(post, actor, Outcome.HIDE, category, note)
    record(events.POST_HIDDEN, actor, post, post.thread.company_id,
           {"number": post.number, "by_author": False, "reason": note,
            "category": str(category), "automatic": False})


def restore_post(actor: User, post: Post, note: str | None) -> None:
    """A moderator undoes a hide: the post, its counters, its answer and its search."""
    policy.require(actor, policy.Action.RESTORE_POST, post)
    note = check_note(note, required=True)
    with write_transaction():
        if not restore(post, actor, note):
            raise Conflict("This post is not hidden: there is nothing to restore.")


def restore(post: Post, actor: User, note: str, data: dict[str, object] | None = None) -> bool:
    """Show `post` again if it is hidden, giving back what its hide took; `data` joins
    the event's (an appeal's restore names the appeal, whose decision tells the author)."""
    restored = db.session.execute(
        update(Post).where(Post.id == post.id, Post.hidden_at.is_not(None))
        .values(hidden_at=None, hidden_by_id=None, hidden_reason="", hidden_category="")
        .execution_options(synchronize_session=False)).rowcount
    if not restored:
        return False
    thread = post.thread
    _count(post, thread, +1)
    if post.number == 1:
        thread.hidden_at, thread.hidden_by_id, thread.hidden_reason = None, None, ""
    was_answer = db.session.scalar(
        select(ModerationAction.cleared_answer)
        .where(ModerationAction.post_id == post.id, ModerationAction.action == Outcome.HIDE)
        .order_by(ModerationAction.id.desc()).limit(1))
    if was_answer and thread.accepted_post_id is None:
        thread.accepted_post_id = post.id
    log_action(post, actor, Outcome.RESTORE, "", note)
    record(events.POST_RESTORED, actor, post, thread.company_id,
           {"number": post.number, "reason": note, **(data or {})})
    return True


def close_review(post: Post, actor: User, outcome: Outcome) -> bool:
    """Close the post's open review, if any, and resolve its flags."""
    now = utcnow()
    closed = db.session.execute(
        update(Review).where(Review.post_id == post.id, Review.closed_at.is_(None))
        .values(closed_at=now, closed_by_id=actor.id, outcome=str(outcome))
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
                       .values(resolved_at=now).execution_options(synchronize_session=False))
    return bool(closed)


def _count(post: Post, thread: Thread, step: int) -> None:
    """A thread counts its visible replies; a category its visible threads."""
    if post.number == 1:
        if thread.category_id is not None:
            db.session.execute(update(Category).where(Category.id == thread.category_id)
                               .values(thread_count=Category.thread_count + step))
    elif post.kind == PostKind.REPLY:
        db.session.execute(update(Thread).where(Thread.id == thread.id)
                           .values(reply_count=Thread.reply_count + step)
                           .execution_options(synchronize_session=False))


def log_action(post: Post, actor: User | None, action: Outcome, reason: str, note: str, *,
         cleared_answer: bool = False) -> None:
    """Keep what was done to whose post, for the queue's history and for restores."""
    db.session.add(ModerationAction(
        company_id=post.thread.company_id, post_id=post.id, target_user_id=post.author_id,
        actor_id=actor.id if actor else None, action=str(action), reason=str(reason),
        note=note, cleared_answer=cleared_answer, created_at=utcnow()))
