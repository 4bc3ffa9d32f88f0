"""Staff actions on a thread: pin, lock, move, and the accepted answer."""

from __future__ import annotations

from sqlalchemy import update

from forum import policy
from forum.accounts.models import User
from forum.database import write_transaction
from forum.errors import Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.threads.models import Category, Post, PostKind, State, Thread


def set_pinned(actor: User, thread: Thread, pinned: bool) -> None:
    """Pinned threads stay at the top of their category."""
    policy.require(actor, policy.Action.PIN_THREAD, thread)
    with write_transaction():
        thread.pinned = pinned
        record(events.THREAD_PINNED if pinned else events.THREAD_UNPINNED, actor, thread,
               thread.company_id)


def set_locked(actor: User, thread: Thread, locked: bool) -> None:
    """A locked thread keeps its posts and takes no new replies."""
    policy.require(actor, policy.Action.LOCK_THREAD, thread)
    with write_transaction():
        thread.state = State.LOCKED.value if locked else State.OPEN.value
        record(events.THREAD_LOCKED if locked else events.THREAD_UNLOCKED, actor, thread,
               thread.company_id)


def move_thread(actor: User, thread: Thread, category: Category) -> None:
    """Move a thread to another category of the same company."""
    policy.require(actor, policy.Action.MOVE_THREAD, thread)
    if category.company_id != thread.company_id:
        raise NotFound("That category is not part of this company's forum.")
    if category.id == thread.category_id:
        return
    with write_transaction():
        if thread.category_id is not None and not thread.is_hidden:
            db.session.execute(update(Category).where(Category.id == thread.category_id)
                               .values(thread_count=Category.thread_count - 1))
        if not thread.is_hidden:
            db.session.execute(update(Category).where(Category.id == category.id)
                               .values(thread_count=Category.thread_count + 1))
        record(events.THREAD_MOVED, actor, thread, thread.company_id,
               {"category": [thread.category_id, category.id]})
        thread.category_id = category.id


def accept_answer(actor: User, thread: Thread, post: Post | None) -> None:
    """Mark one reply as the answer to a question (None clears it)."""
    policy.require(actor, policy.Action.ACCEPT_ANSWER, thread)
    if post is not None:
        if post.thread_id != thread.id:
            raise NotFound("That post is not part of this thread.")
        if post.number == 1 or post.is_hidden or post.kind != PostKind.REPLY:
            raise Invalid("Only a visible reply can be the accepted answer.")
    with write_transaction():
        thread.accepted_post_id = post.id if post is not None else None
        record(events.ANSWER_ACCEPTED if post is not None else events.ANSWER_CLEARED, actor,
               thread, thread.company_id, {"post_id": post.id if post is not None else None})
