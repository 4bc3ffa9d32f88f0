"""What the index must refresh next: the events after its last applied id.

The search index follows the event log (forum/events/log.py) like every other reader,
with its cursor stored inside the index itself. An event names the thread it concerns
(and, for a post, the post), so the indexer learns which documents to rebuild from the
database; events that concern no thread (a new account, company settings) only move the
cursor on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from forum.events import log

horizon = log.horizon
backlog = log.backlog


@dataclass
class Pending:
    """A batch of events: the ids it covers and the threads and posts they touched."""

    first_id: int
    last_id: int
    events: int
    threads: set[int] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)


def pending(session: Session, after: int, limit: int) -> Pending | None:
    """Up to `limit` committed events after `after`; None when there are none."""
    events = log.pending(session, after, limit)
    if not events:
        return None
    batch = Pending(events[0].id, events[-1].id, len(events))
    for event in events:
        if event.thread_id is not None:
            batch.threads.add(event.thread_id)
        batch.threads.update(int(thread_id) for thread_id in event.data.get("thread_ids", ()))
        if event.subject_type == "posts" and event.subject_id is not None:
            batch.posts.add(event.subject_id)
    return batch
