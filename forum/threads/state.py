"""Staff actions on a thread: pin, lock, move, and the accepted answer."""

from __future__ import annotations

from sqlalchemy import update

from forum import policy
from forum.accounts.models import User
from forum.database import begin_write
from forum.errors import Invalid, NotFound
from forum.extensions import db
from forum.search.outbox import enqueue
from forum.threads.models import Category, Post, PostKind, State, Thread


def set_pinned(actor: User, thread: Thread, pinned: bool) -> None:
    """Pinned threads stay at the top of their category."""
    policy.require(actor, "pin_thread", thread)
    begin_write()
    thread.pinned = pinned
    db.session.commit()


def set_locked(actor: User, thread: Thread, locked: bool) -> None:
    """A locked thread keeps its posts and takes no new replies."""
    policy.require(actor, "lock_thread", thread)
    begin_write()
    thread.state = State.LOCKED.value if locked else State.OPEN.value
    db.session.commit()


def move_thread(actor: User, thread: Thread, category: Category) -> None:
    """Move a thread to another category of the same company."""
    policy.require(actor, "move_thread", thread)
    if category.company_id != thread.company_id:
        raise NotFound("That category is not part of this company's forum.")
    if category.id == thread.category_id:
        return
    begin_write()
    if thread.category_id is not None and not thread.is_hidden:
        db.session.execute(update(Category).where(Category.id == thread.category_id)
                           .values(thread_count=Category.thread_count - 1))
    if not thread.is_hidden:
        db.session.execute(update(Category).where(Category.id == category.id)
                           .values(thread_count=Category.thread_count + 1))
    thread.category_id = category.id
    enqueue("thread", thread.id)
    db.session.commit()


def accept_answer(actor: User, thread: Thread, post: Post | None) -> None:
    """Mark one reply as the answer to a question (None clears it)."""
    policy.require(actor, "accept_answer", thread,
                   "Only the company's staff mark answers, and only on questions.")
    if post is not None:
        if post.thread_id != thread.id:
            raise NotFound("That post is not part of this thread.")
        if post.number == 1 or post.is_hidden or post.kind != PostKind.REPLY:
            raise Invalid("Only a visible reply can be the accepted answer.")
    begin_write()
    thread.accepted_post_id = post.id if post is not None else None
    db.session.commit()
