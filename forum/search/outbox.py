"""Writing to the outbox: every service that changes searchable content calls `enqueue`."""

from __future__ import annotations

from forum.extensions import db
from forum.search.models import SearchOutbox

DOC_TYPES = frozenset({"thread", "post"})
OPS = frozenset({"upsert", "delete"})


def enqueue(doc_type: str, doc_id: int, op: str = "upsert") -> None:
    """Record that a document changed, in the caller's transaction (never committed here).

    `thread` means the thread's own document (title, status, votes, tags...) and, for a
    thread that was hidden, moved or merged, all its posts too; `post` is one post.
    """
    if doc_type not in DOC_TYPES or op not in OPS:
        raise ValueError(f"unknown outbox entry {doc_type!r}/{op!r}")
    db.session.add(SearchOutbox(doc_type=doc_type, doc_id=doc_id, op=op))
