"""What the index holds, built from the database's current state (never from the log).

The indexer and the rebuild both come here, so a document always says what the database
says now: a thread that was hidden, merged or deleted since its event was recorded
simply produces no document, and its old ones are deleted.

What only plug-ins know about a thread (ideas: status, tags, votes, merged) comes from
the search extras they register with the app's hooks (see forum.hooks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.companies.models import Company
from forum.content import render_plain_excerpt
from forum.hooks import ThreadExtras, hooks_of
from forum.search.schema import POST, THREAD
from forum.threads.models import Post, Thread

MAX_BODY_CHARS = 20_000  # as long as the longest source a post may have
CHUNK = 500  # ids per IN (...) list


def status_choices(company_id: int | None = None) -> list[tuple[str, str]]:
    """The (value, label) statuses plug-ins offer as a search filter: one company's own
    when searching it, else the ones every company starts with."""
    hooks = hooks_of()
    if company_id is not None and hooks.search_company_statuses:
        return [choice for provider in hooks.search_company_statuses
                for choice in provider(company_id)]
    return list(hooks.search_statuses.items())


def thread_extras(session: Session, thread_ids: Sequence[int]) -> dict[int, ThreadExtras]:
    """Every provider's fields for these threads, merged (one query or so per provider)."""
    merged: dict[int, ThreadExtras] = {}
    if not thread_ids:
        return merged
    for provider in hooks_of().search_extras:
        for thread_id, extras in provider(session, thread_ids).items():
            merged.setdefault(thread_id, {}).update(extras)
    return merged


@dataclass(frozen=True)
class ThreadRow:
    """A visible thread with what its documents and its search result show."""

    id: int
    company_id: int
    company_slug: str
    company_name: str
    kind: str
    title: str
    slug: str
    reply_count: int
    created_at: datetime
    author: str
    extras: ThreadExtras

    @property
    def status(self) -> str | None:
        return self.extras.get("status")

    @property
    def votes(self) -> int:
        return int(self.extras.get("votes", 0))


@dataclass(frozen=True)
class PostRow:
    id: int
    thread_id: int
    number: int
    body_html: str
    created_at: datetime
    author: str
    hidden: bool


@dataclass
class Changes:
    """What one batch does to the index: deletions first, then documents added."""

    threads_to_clear: set[int] = field(default_factory=set)  # every document of the thread
    keys_to_delete: set[str] = field(default_factory=set)
    documents: list[dict[str, Any]] = field(default_factory=list)


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for item in ids:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def visible_threads(session: Session, thread_ids: Iterable[int]) -> dict[int, ThreadRow]:
    """The threads among `thread_ids` a visitor may see: not hidden, not merged away."""
    found: dict[int, ThreadRow] = {}
    for batch in chunks(thread_ids):
        rows = session.execute(
            select(Thread.id, Thread.company_id, Company.slug, Company.name, Thread.kind,
                   Thread.title, Thread.slug, Thread.reply_count, Thread.created_at,
                   User.username)
            .join(Company, Company.id == Thread.company_id)
            .join(User, User.id == Thread.author_id)
            .where(Thread.id.in_(batch), Thread.hidden_at.is_(None))
        ).all()
        extras = thread_extras(session, [row[0] for row in rows])
        for row in rows:
            thread_extra = extras.get(row[0], {})
            if not thread_extra.get("merged", False):
                found[row[0]] = ThreadRow(*row, extras=thread_extra)
    return found


def post_rows(session: Session, condition: ColumnElement[bool]) -> list[PostRow]:
    rows = session.execute(
        select(Post.id, Post.thread_id, Post.number, Post.body_html, Post.created_at,
               User.username, Post.hidden_at.is_not(None))
        .join(User, User.id == Post.author_id)
        .where(condition)
        .order_by(Post.thread_id, Post.number)
    ).all()
    return [PostRow(*row) for row in rows]


def plain_text(body_html: str) -> str:
    """The words of stored (already sanitized) HTML: what is indexed and highlighted."""
    return render_plain_excerpt(body_html, MAX_BODY_CHARS)


def shared_fields(thread: ThreadRow) -> dict[str, Any]:
    """The thread's fields that every one of its documents carries, for filters and sorts."""
    tags = thread.extras.get("tags") or []
    fields: dict[str, Any] = {
        "thread_id": str(thread.id),
        "company": str(thread.company_id),
        "kind": thread.kind,
        "votes": thread.votes,
    }
    if thread.status:
        fields["status"] = thread.status
    if tags:
        fields["tags"] = ",".join(tag.replace(",", " ") for tag in tags)
    return fields


def thread_document(
    thread: ThreadRow, opening: PostRow | None, replies_shared: dict[str, Any] | None
) -> dict[str, Any]:
    """The thread's own document: its title and opening post.

    `replies_shared` records the shared fields its replies were indexed with (None when
    unknown), which tells a later batch whether they must be reindexed.
    """
    visible = opening is not None and not opening.hidden
    return {
        **shared_fields(thread),
        "shared": replies_shared,
        "key": f"t:{thread.id}",
        "doc_type": THREAD,
        "post_id": opening.id if opening is not None and visible else 0,
        **searchable(thread.title,
                     plain_text(opening.body_html) if opening is not None and visible else ""),
        "scoped_title": (thread.company_id, thread.kind, thread.title),
        "author": thread.author.lower(),
        "created": thread.created_at,
    }


def searchable(title: str | None, body: str) -> dict[str, Any]:
    """A document's title (a thread's only) and body, stored, and searched together."""
    both = (title or "", body)  # one object: analyzed once for both fields (schema.py)
    words = {"body": body, "text": both, "pairs": both}
    return words if title is None else {"title": title, **words}


def post_document(thread: ThreadRow, post: PostRow) -> dict[str, Any]:
    """One reply: its words, author and date, plus its thread's filterable fields."""
    return {
        **shared_fields(thread),
        "key": f"p:{post.id}",
        "doc_type": POST,
        "post_id": post.id,
        **searchable(None, plain_text(post.body_html)),
        "author": post.author.lower(),
        "created": post.created_at,
    }


def thread_documents(
    session: Session, threads: Mapping[int, ThreadRow], only_own: Iterable[int] = (),
    *, newest_first: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every document of these visible threads: the thread's own, then its visible replies
    (except for threads in `only_own`, whose replies are up to date already); the newest
    threads first if asked (a rebuild does)."""
    skip = set(only_own)
    for batch in chunks(sorted(threads, reverse=newest_first)):
        replies = [thread_id for thread_id in batch if thread_id not in skip]
        posts = post_rows(session, Post.hidden_at.is_(None) & (
            Post.thread_id.in_(replies) | (Post.thread_id.in_(batch) & (Post.number == 1))))
        openings = {post.thread_id: post for post in posts if post.number == 1}
        for thread_id in batch:
            thread = threads[thread_id]
            yield thread_document(thread, openings.get(thread_id), shared_fields(thread))
        if newest_first:
            posts.sort(key=lambda post: post.thread_id, reverse=True)  # stable: by number
        for post in posts:
            if post.number != 1:
                yield post_document(threads[post.thread_id], post)


def changes_for(
    session: Session,
    thread_ids: set[int],
    post_ids: set[int],
    indexed: Callable[[set[int]], Mapping[int, dict[str, Any]]],
) -> Changes:
    """What the index must do so these threads and posts match the database now.

    `indexed(thread_ids)` answers the shared fields their replies were indexed with: a
    thread whose shared fields did not change since (a new reply bumped its reply count,
    its title was edited) gets its own document replaced, not all its replies reindexed.
    """
    posts: list[PostRow] = []
    for batch in chunks(sorted(post_ids)):
        posts.extend(post_rows(session, Post.id.in_(batch)))
    replies_shared = indexed(thread_ids | {post.thread_id for post in posts})
    threads = visible_threads(session, thread_ids)
    unchanged = {thread_id for thread_id, thread in threads.items()
                 if replies_shared.get(thread_id) == shared_fields(thread)}
    changes = Changes(threads_to_clear=set(thread_ids) - unchanged)
    changes.keys_to_delete.update(f"t:{thread_id}" for thread_id in unchanged)
    changes.documents.extend(thread_documents(session, threads, only_own=unchanged))
    missing = post_ids - {post.id for post in posts}
    changes.keys_to_delete.update(f"p:{post_id}" for post_id in missing)
    _post_changes(session, changes, posts, set(thread_ids), replies_shared)
    return changes


def _post_changes(
    session: Session, changes: Changes, posts: list[PostRow], rewritten: set[int],
    replies_shared: Mapping[int, dict[str, Any]],
) -> None:
    """Single posts: added, replaced or deleted (the opening post rewrites its thread's).

    Threads in `rewritten` already had their own document rebuilt in this batch, and
    those in `changes.threads_to_clear` all of their documents. A thread document
    rewritten here keeps the shared fields its replies were indexed with: they are not
    reindexed here, so the thread's own event must still find them out of date.
    """
    posts = [post for post in posts if post.thread_id not in changes.threads_to_clear
             and not (post.number == 1 and post.thread_id in rewritten)]
    threads = visible_threads(session, {post.thread_id for post in posts})
    for post in posts:
        thread = threads.get(post.thread_id)
        if thread is None:
            changes.threads_to_clear.add(post.thread_id)
        elif post.number == 1:
            changes.keys_to_delete.add(f"t:{thread.id}")
            changes.documents.append(
                thread_document(thread, post, replies_shared.get(thread.id)))
        else:
            changes.keys_to_delete.add(f"p:{post.id}")
            if not post.hidden:
                changes.documents.append(post_document(thread, post))
