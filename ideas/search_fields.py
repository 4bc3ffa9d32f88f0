"""What search needs to know about ideas: status, tags, votes and whether it was merged.

Forum's search cannot import ideas, so `ideas.init_app` registers this provider with the
app's hooks; it is called with a batch of thread ids and answers for the ones that are
ideas, in two queries whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.hooks import ThreadExtras
from ideas import statuses
from ideas.models import Idea, IdeaStatus, IdeaTag, Tag, default_label


def company_status_choices(company_id: int) -> list[tuple[str, str]]:
    """The statuses a search of one company filters by: its own."""
    return statuses.choices(statuses.company_statuses(company_id))


def idea_search_fields(session: Session, thread_ids: Sequence[int]) -> dict[int, ThreadExtras]:
    """{thread_id: {"status", "status_label", "tags", "votes", "merged"}} for the ideas
    among `thread_ids`."""
    ideas = session.execute(
        select(Idea.id, Idea.thread_id, Idea.status, Idea.vote_count, Idea.merged_into_id,
               IdeaStatus.label)
        .outerjoin(IdeaStatus, (IdeaStatus.company_id == Idea.company_id)
                   & (IdeaStatus.key == Idea.status))
        .where(Idea.thread_id.in_(thread_ids))
    ).all()
    if not ideas:
        return {}
    tags: dict[int, list[str]] = {}
    rows = session.execute(
        select(IdeaTag.idea_id, Tag.name, Tag.slug)
        .join(Tag, Tag.id == IdeaTag.tag_id)
        .where(IdeaTag.idea_id.in_([idea_id for idea_id, *_rest in ideas]))
        .order_by(Tag.name)
    )
    for idea_id, name, slug in rows:
        tags.setdefault(idea_id, []).extend(dict.fromkeys((name, slug)))
    return {
        thread_id: ThreadExtras(status=status, status_label=label or default_label(status),
                                tags=tags.get(idea_id, []), votes=votes,
                                merged=merged_into is not None)
        for idea_id, thread_id, status, votes, merged_into, label in ideas
    }

