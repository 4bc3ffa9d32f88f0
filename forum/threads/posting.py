"""Writing in threads: start one, reply, edit with history, remove one's own post."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from forum import content, policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.errors import Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.hooks import hooks_of
from forum.moderation import watched
from forum.threads.limits import check_posting_limits
from forum.threads.models import (
    FORUM_KINDS,
    Category,
    Kind,
    Mention,
    Post,
    PostKind,
    Revision,
    Thread,
    ThreadLink,
)

MIN_TITLE = 5
MAX_TITLE = 150
MAX_BODY = content.MAX_SOURCE_LENGTH
# The policy's action for each kind of post: none is written unasked.
POSTING_ACTIONS = {PostKind.REPLY: policy.Action.REPLY,
                   PostKind.STATUS_CHANGE: policy.Action.ANNOUNCE}
# What a reply changes on its thread, returned by the statement that changes it.
COUNTED = (Thread.post_count, Thread.reply_count, Thread.last_posted_at,
           Thread.last_poster_id, Thread.answered_at)


def slugify(title: str) -> str:
    """The readable part of a thread URL: ascii words joined by dashes."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].rstrip("-") or "thread"


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) < MIN_TITLE:
        raise Invalid(f"Titles need at least {MIN_TITLE} characters.", field="title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"Titles are at most {MAX_TITLE} characters ({len(title)} now).",
                      field="title")
    return title


def check_body(body: str, *, required: bool = True) -> str:
    body = content.normalize_source(body)
    if required and not body.strip():
        raise Invalid("Write something first: the message is empty.", field="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"Messages are at most {MAX_BODY:,} characters ({len(body):,} now).",
                      field="body")
    return body


def render(body: str) -> content.Rendered:
    """A post's HTML, its mentions and its links to this app's thread pages."""
    return content.render(body, known_users=known_usernames,
                          thread_areas=hooks_of().thread_areas(current_app))


def known_usernames(candidates: Iterable[str]) -> set[str]:
    """Which @names are real accounts: one query for the whole post."""
    names = list(candidates)
    if not names:
        return set()
    rows = db.session.scalars(select(func.lower(User.username))
                              .where(func.lower(User.username).in_(names)))
    return set(rows)


def start_thread(
    author: User, company: Company, *, title: str, body: str, kind: str = Kind.DISCUSSION,
    category: Category | None = None, official: bool = False, hold: bool = True,
) -> Thread:
    """Open a thread with its first post; ideas.services opens idea threads inside its
    own write transaction, to add the Idea row in the same one, and holds one with a
    watched word itself (`hold=False`), once the proposer's vote is in."""
    policy.require(author, policy.Action.START_THREAD, company)
    title = check_title(title)
    body = check_body(body)
    held = watched.screen(author, company, body, title)
    if kind not in {*(k.value for k in FORUM_KINDS), *hooks_of().thread_endpoints} - {"*"}:
        raise Invalid("Choose what kind of thread this is.", field="kind")
    if category is not None and category.company_id != company.id:
        raise NotFound("That category is not part of this company's forum.")
    if official:
        policy.require(author, policy.Action.POST_OFFICIAL, company)
    with write_transaction():
        check_posting_limits(author, company, body, new_thread=True)
        now = utcnow()
        thread = Thread(
            company_id=company.id, category_id=category.id if category else None,
            author_id=author.id, kind=str(kind), title=title, slug=slugify(title),
            created_at=now, last_posted_at=now, last_poster_id=author.id, post_count=1,
            answered_at=now if official else None,
        )
        db.session.add(thread)
        db.session.flush()
        opening = _add_post(thread, author, body, number=1, official=official,
                            created_at=now)
        if category is not None:
            db.session.execute(update(Category).where(Category.id == category.id)
                               .values(thread_count=Category.thread_count + 1))
        record(events.THREAD_STARTED, author, thread, company,
               {"kind": str(kind), "title": title, "official": official})
        if held and hold:
            watched.hold(opening, held)
    return thread


def post_reply(author: User, thread: Thread, body: str, *, official: bool = False,
               kind: str = PostKind.REPLY) -> Post:
    """Add a post at the end of a thread; an official one answers for the company.

    Every kind of post is asked of the policy: a reply as a reply, a status change as a
    staff announcement (which a locked thread still takes)."""
    policy.require(author, POSTING_ACTIONS[PostKind(kind)], thread)
    body = check_body(body, required=kind == PostKind.REPLY)
    if official:
        policy.require(author, policy.Action.POST_OFFICIAL, thread.company)
    held = watched.screen(author, thread.company, body) if kind == PostKind.REPLY else None
    # The new post is shown next, as it was just written: keep what is loaded.
    with write_transaction(keep_loaded=True):
        if kind == PostKind.REPLY:
            check_posting_limits(author, thread.company, body, new_thread=False)
        now = utcnow()
        # The row lock of this UPDATE serializes replies, so numbers never collide.
        counted = db.session.execute(
            update(Thread).where(Thread.id == thread.id)
            .values(post_count=Thread.post_count + 1,
                    reply_count=Thread.reply_count + (1 if kind == PostKind.REPLY else 0),
                    last_posted_at=now, last_poster_id=author.id,
                    answered_at=func.coalesce(Thread.answered_at, now) if official
                    else Thread.answered_at)
            .returning(*COUNTED)
        ).one()
        for column, value in zip(COUNTED, counted, strict=True):
            set_committed_value(thread, column.key, value)  # the thread as committed
        post = _add_post(thread, author, body, number=thread.post_count, official=official,
                         created_at=now, kind=kind)
        record(events.POST_CREATED, author, post, thread.company_id,
               {"number": post.number, "kind": str(kind), "official": official})
        if held:
            watched.hold(post, held)
    return post


def _add_post(thread: Thread, author: User, body: str, *, number: int, official: bool,
              created_at: object, kind: str = PostKind.REPLY) -> Post:
    rendered = render(body)
    post = Post(thread_id=thread.id, number=number, author_id=author.id, kind=str(kind),
                official=official, body_source=body, body_html=rendered.html,
                created_at=created_at)
    db.session.add(post)
    db.session.flush()
    _record_references(post, rendered, edited=False)
    return post


def _record_references(post: Post, rendered: content.Rendered, *, edited: bool = True) -> None:
    """Store who was @mentioned and which threads were linked, for notifications later.

    An edited post's earlier references are replaced; a new post has none yet."""
    if edited:
        db.session.execute(Mention.__table__.delete().where(Mention.post_id == post.id))
        db.session.execute(ThreadLink.__table__.delete().where(ThreadLink.post_id == post.id))
    if rendered.mentions:
        user_ids = db.session.scalars(select(User.id).where(
            func.lower(User.username).in_(rendered.mentions), User.id != post.author_id))
        db.session.add_all(Mention(post_id=post.id, user_id=uid) for uid in user_ids)
    if rendered.thread_ids:
        linked = db.session.scalars(select(Thread.id).where(
            Thread.id.in_(rendered.thread_ids), Thread.id != post.thread_id))
        db.session.add_all(ThreadLink(post_id=post.id, to_thread_id=tid) for tid in linked)


def edit_post(editor: User, post: Post, body: str, *, title: str | None = None) -> Post:
    """Change a post, keeping the earlier version; the opening post may retitle the thread."""
    policy.require(editor, policy.Action.EDIT_POST, post)
    body = check_body(body)
    thread = post.thread
    new_title = check_title(title) if title is not None and post.number == 1 else None
    if body == post.body_source and (new_title is None or new_title == thread.title):
        return post
    held = watched.screen(editor, thread.company, body, new_title)
    with write_transaction():
        replace_body(editor, post, body)
        data = {"number": post.number, "by_author": editor.id == post.author_id}
        if new_title is not None:
            data["title"] = [thread.title, new_title]
            thread.title = new_title
            thread.slug = slugify(new_title)
        record(events.POST_EDITED, editor, post, thread.company_id, data)
        if held:
            watched.hold(post, held)
    return post


def replace_body(editor: User, post: Post, body: str, *, moderators_only: bool = False) -> None:
    """Give the post a new text, keeping the one it replaces as a revision (inside the
    caller's transaction; the caller records the event). `moderators_only`: the old text
    held personal information, so that revision is for the company's moderators alone."""
    db.session.add(Revision(post_id=post.id, editor_id=editor.id, body_source=post.body_source,
                            created_at=post.edited_at or post.created_at,
                            moderators_only=moderators_only))
    rendered = render(body)
    post.body_source = body
    post.body_html = rendered.html
    post.edited_at = utcnow()
    post.revision_count = Post.revision_count + 1
    _record_references(post, rendered)


def delete_post(actor: User, post: Post) -> None:
    """Its author removes a post (soft delete): the row and its revisions stay, the thread
    says so. Moderators hide others' posts with a reason (forum.moderation.hiding)."""
    policy.require(actor, policy.Action.DELETE_POST, post)
    with write_transaction():
        remove_by_author(actor, post)


def remove_by_author(actor: User, post: Post, reason: str = "") -> None:
    """Hide a post its author may remove (the caller asked the policy), with its counters
    and event, inside the caller's transaction; account deletion erases posts this way."""
    thread = post.thread
    now = utcnow()
    post.hidden_at = now
    post.hidden_by_id = actor.id
    post.hidden_reason = reason
    if post.number == 1:
        thread.hidden_at = now
        thread.hidden_by_id = actor.id
        thread.hidden_reason = post.hidden_reason
        if thread.category_id is not None:
            db.session.execute(update(Category).where(Category.id == thread.category_id)
                               .values(thread_count=Category.thread_count - 1))
    elif post.kind == PostKind.REPLY:
        db.session.execute(update(Thread).where(Thread.id == thread.id)
                           .values(reply_count=Thread.reply_count - 1))
        db.session.expire(thread, ["reply_count"])
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    record(events.POST_HIDDEN, actor, post, thread.company_id,
           {"number": post.number, "by_author": True, "reason": reason})
