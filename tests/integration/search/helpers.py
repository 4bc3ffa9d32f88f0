"""Search test helpers. Writer behaves like the services: a change and its event in one
commit. It inserts model rows directly and calls `record` as the thread and idea services
do, so these tests do not depend on those services.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from forum import content
from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.events import types as events
from forum.events.log import newest_id, record
from forum.extensions import db
from forum.hooks import EventType, hooks_of
from forum.search import services
from forum.search.runtime import get_runtime
from forum.search.schema import META_KEY
from forum.threads.models import Kind, Post, Thread
from ideas.events import IDEA_STATUS_CHANGED
from ideas.models import Idea, IdeaTag, Tag

THREAD_CHANGED = "test.thread_changed"  # any column of a thread, as a service would change it


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "thread"


class Writer:
    """Writes content the way services do: the change and its event in one commit."""

    def __init__(self, company: Company, author: User) -> None:
        self.company = company
        self.author = author
        hooks = hooks_of(current_app)
        if THREAD_CHANGED not in hooks.event_types:
            hooks.add_event_types([EventType(THREAD_CHANGED, "changed a thread in a test")])

    def thread(self, title: str, body: str = "", *, kind: str = "discussion",
               company: Company | None = None, author: User | None = None) -> Thread:
        with write_transaction():
            thread = self._new_thread(title, body, kind, company, author)
            record(events.THREAD_STARTED, self.author, thread, thread.company_id)
        return thread

    def _new_thread(self, title: str, body: str, kind: str, company: Company | None,
                    author: User | None) -> Thread:
        author = author or self.author
        thread = Thread(company_id=(company or self.company).id, author_id=author.id,
                        kind=kind, title=title, slug=slugify(title), post_count=1)
        db.session.add(thread)
        db.session.flush()
        db.session.add(Post(thread_id=thread.id, number=1, author_id=author.id,
                            body_source=body, body_html=content.render(body or title).html))
        db.session.flush()
        return thread

    def idea(self, title: str, body: str = "", *, status: str = "open", votes: int = 0,
             tags: tuple[str, ...] = (), company: Company | None = None,
             author: User | None = None) -> Thread:
        with write_transaction():
            return self._idea(title, body, status, votes, tags, company, author)

    def _idea(self, title: str, body: str, status: str, votes: int, tags: tuple[str, ...],
              company: Company | None, author: User | None) -> Thread:
        thread = self._new_thread(title, body, "idea", company, author)
        idea = Idea(thread_id=thread.id, company_id=thread.company_id, status=status,
                    vote_count=votes)
        db.session.add(idea)
        db.session.flush()
        for name in tags:
            tag = db.session.scalar(select(Tag).where(Tag.company_id == thread.company_id,
                                                      Tag.slug == slugify(name)))
            if tag is None:
                tag = Tag(company_id=thread.company_id, slug=slugify(name), name=name)
                db.session.add(tag)
                db.session.flush()
            db.session.add(IdeaTag(idea_id=idea.id, tag_id=tag.id))
        record(events.THREAD_STARTED, self.author, thread, thread.company_id)
        return thread

    def reply(self, thread: Thread, body: str, *, author: User | None = None) -> Post:
        with write_transaction():
            number = (db.session.get(Thread, thread.id).post_count or 1) + 1
            post = Post(thread_id=thread.id, number=number,
                        author_id=(author or self.author).id, body_source=body,
                        body_html=content.render(body).html)
            db.session.add(post)
            db.session.execute(update(Thread).where(Thread.id == thread.id).values(
                reply_count=Thread.reply_count + 1, post_count=Thread.post_count + 1))
            record(events.POST_CREATED, self.author, post, thread.company_id)
        return post

    def edit_post(self, post: Post, body: str) -> None:
        with write_transaction():
            post.body_source, post.body_html = body, content.render(body).html
            post.edited_at = utcnow()
            record(events.POST_EDITED, self.author, post, self.company)

    def change_thread(self, thread: Thread, **values: Any) -> None:
        """Hide, move, retitle...: any column of the thread, then its event."""
        with write_transaction():
            for name, value in values.items():
                setattr(thread, name, value)
            record(THREAD_CHANGED, self.author, thread, thread.company_id)

    def hide_post(self, post: Post) -> None:
        with write_transaction():
            post.hidden_at = utcnow()
            record(events.POST_HIDDEN, self.author, post, self.company)

    def change_idea(self, thread: Thread, **values: Any) -> None:
        """Status, votes, merge target...: any column of the idea, then its event."""
        with write_transaction():
            idea = idea_of(thread)
            for name, value in values.items():
                setattr(idea, name, value)
            record(IDEA_STATUS_CHANGED, self.author, idea, thread.company_id)


def similar_ideas(company_id: int, title: str, body: str = "", **options: Any) -> list[int]:
    """Search's more-like-this as the ideas' "has this been suggested?" box asks it."""
    return services.more_like_this(company_id, title, body, kind=Kind.IDEA, **options)


def idea_of(thread: Thread) -> Idea:
    idea = db.session.scalar(select(Idea).where(Idea.thread_id == thread.id))
    assert idea is not None
    return idea


def found_titles(results: services.SearchResults) -> list[str]:
    return [hit.title for hit in results.hits]


def index_keys(app: Flask) -> Counter[str]:
    """Every document key in the current index, with how many times it is there."""
    opened = get_runtime(app).store.open_current()
    with opened.index.searcher() as searcher:
        keys = Counter(fields["key"] for fields in searcher.all_stored_fields())
    keys.pop(META_KEY, None)
    return keys


def newest_event() -> int:
    """The id of the last committed event."""
    db.session.rollback()  # see what is committed now
    return newest_id(db.session)


def last_applied(app: Flask) -> int:
    return get_runtime(app).store.open_current().last_applied


class Records(logging.Handler):
    """Collects the search log (pytest's own log capture may be switched off)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
