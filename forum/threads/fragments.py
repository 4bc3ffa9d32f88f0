"""A post's markup that is the same for every viewer, rendered once and kept per process.

A signed-in page is rendered for its viewer, but most of each post on it (who wrote it,
their badges, the body, a status line) is the same whoever looks. `kept_post` renders
that part of a shown post from `threads/_post_kept.html` once and keeps it, keyed by
every value it reads: the post's revision, its author's name, username and standing, the
company's name, whether the post is the accepted answer, the status line's labels. An edit
bumps the revision and a rename changes the name, so a changed post gets a new key and
its old markup is never served; old keys age out of the LRU. The page still decides
which posts the viewer may see (a hidden post is never kept: its stub is rendered per
viewer), and renders the viewer's parts (when, edited link, actions) around the kept
markup.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from forum.lru import SizedLRU
from forum.threads.models import Post, Thread

_TEMPLATE = "threads/_post_kept.html"
_EXTENSION = "post_fragments"

Kept = tuple[Markup, Markup]  # before the post's time, and after its "edited" mark


def configure_post_fragments(app: Flask) -> None:
    """POST_FRAGMENT_CHARS=0 turns keeping off: every post is rendered every time."""
    app.extensions[_EXTENSION] = SizedLRU[Kept](
        app.config["POST_FRAGMENT_CHARS"], lambda kept: len(kept[0]) + len(kept[1]))
    app.jinja_env.globals["kept_post"] = kept_post


def kept_post(post: Post, thread: Thread, change: Any = None,
              labels: dict[str, str] | None = None) -> Kept:
    """The viewer-independent markup of a shown post, from the store or rendered now.
    `change` is the status change the post announces, `labels` the status labels."""
    labels = labels or {}
    key = _key(post, thread, change, labels)
    store: SizedLRU[Kept] = current_app.extensions[_EXTENSION]
    kept = store.find(key) if store.max_size else None
    if kept is None:
        kept = _render(post, thread, change, labels)
        if store.max_size:
            store.put(key, kept)
    return kept


def _key(post: Post, thread: Thread, change: Any, labels: dict[str, str]) -> tuple:
    """Every value `threads/_post_kept.html` reads that can change after the post is
    written; the post's body changes only with its revision (threads.posting). Its
    creation time tells a post apart from one that reuses its id after a restore."""
    author = post.author
    company = thread.company
    status_line = None if change is None else (
        company.name, change.to_status, change.from_status,
        labels.get(change.to_status), labels.get(change.from_status))
    return (post.id, post.created_at, post.revision_count, post.edited_at, post.kind,
            post.official, post.number, thread.accepted_post_id == post.id,
            thread.author_id == post.author_id,
            author.name, author.username, author.deleted_at is None,
            (company.name, company.verified_domain, company.verifies(author))
            if post.official else None,
            status_line)


def _render(post: Post, thread: Thread, change: Any, labels: dict[str, str]) -> Kept:
    """Only the post, its thread and company in the context: no viewer to depend on."""
    environment = current_app.jinja_env
    template = environment.get_template(_TEMPLATE)
    macros = environment.get_template("_macros.html").module  # built once, then cached
    context = template.new_context({"post": post, "thread": thread, "company": thread.company,
                                    "change": change, "labels": labels, "macros": macros})
    head = "".join(template.blocks["head"](context))
    tail = "".join(template.blocks["tail"](context))
    return Markup(head), Markup(tail)  # noqa: S704 (rendered by an autoescaping template)
