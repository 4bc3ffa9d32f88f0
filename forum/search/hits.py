"""A page of hits, checked against the database and dressed for the page.

Whoosh finds and ranks; the database has the last word on what is shown: every page of
hits is checked in one query (hidden threads and posts, private spaces, threads a plug-in
marks merged), so something hidden a moment ago is gone before the indexer has caught
up, and titles, votes and statuses are the current ones, not the indexed copies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from forum.companies.access import out_of_sight
from forum.companies.models import Company
from forum.extensions import db
from forum.search import querying
from forum.search.documents import status_choices, thread_extras
from forum.search.snippets import highlight
from forum.threads.models import Post, Thread
from forum.threads.urls import thread_path


@dataclass(frozen=True)
class SearchHit:
    """One thread in the results, with its best matching post as a snippet."""

    thread_id: int
    title: str
    title_html: Markup
    url: str
    company_slug: str
    company_name: str
    kind: str
    status: str | None
    votes: int
    reply_count: int
    created_at: datetime
    snippet: Markup
    counts_votes: bool = False  # a plug-in counts votes on threads of this kind
    status_label: str | None = None


@dataclass(frozen=True)
class StoredHit:
    """A hit as the index stored it: the thread and the post to show as its snippet."""

    thread_id: int
    post_id: int
    title: str
    body: str


def hydrate(stored: list[StoredHit], parsed: querying.ParsedQuery, viewer: Any
             ) -> list[SearchHit]:
    """Check the page against the database (one query, plus the extras) and dress it."""
    if not stored:
        return []
    post_ids = [hit.post_id for hit in stored if hit.post_id]
    rows = db.session.execute(
        select(Thread.id, Thread.title, Thread.slug, Thread.kind, Thread.reply_count,
               Thread.created_at, Company.slug.label("company_slug"),
               Company.name.label("company_name"), Post.id.label("post_id"))
        .join(Company, Company.id == Thread.company_id)
        .outerjoin(Post, (Post.thread_id == Thread.id) & Post.id.in_(post_ids)
                   & Post.hidden_at.is_(None))
        .where(Thread.id.in_([hit.thread_id for hit in stored]), Thread.hidden_at.is_(None),
               Thread.company_id.not_in(out_of_sight(viewer)))
    ).all()
    threads = {row.id: row for row in rows}
    visible_posts = {row.post_id for row in rows if row.post_id is not None}
    extras = thread_extras(db.session, list(threads))
    terms, prefixes = querying.highlight_terms(parsed)
    hits = []
    for hit in stored:
        row, extra = threads.get(hit.thread_id), extras.get(hit.thread_id, {})
        if row is None or extra.get("merged") or (hit.post_id and
                                                   hit.post_id not in visible_posts):
            continue
        hits.append(SearchHit(
            thread_id=row.id, title=row.title,
            title_html=highlight(row.title, terms, prefixes, None),
            url=thread_path(row.company_slug, row.id, row.slug, row.kind),
            company_slug=row.company_slug, company_name=row.company_name, kind=row.kind,
            status=extra.get("status"), votes=int(extra.get("votes", 0)),
            reply_count=row.reply_count, created_at=row.created_at,
            snippet=highlight(hit.body, terms, prefixes) if hit.body else Markup(""),
            counts_votes="votes" in extra, status_label=extra.get("status_label")))
    return hits


@dataclass(frozen=True)
class FacetValue:
    """One way to narrow the results: what the filter takes, its label, its threads."""

    value: str  # a company's slug, a kind, a status
    label: str
    count: int


@dataclass(frozen=True)
class Facet:
    name: str  # the search form's field: "company", "kind" or "status"
    label: str
    values: tuple[FacetValue, ...]


def label_facets(counts: dict[str, Counter[str]], viewer: Any, *,
                 company_id: int | None, kind: str | None, status: str | None,
                 ) -> tuple[Facet, ...]:
    """The counts per company, kind and status as the page shows them, most first; a
    facet already chosen as a filter, or with nothing in it, is left out."""
    facets = []
    companies = counts.get("company", Counter())
    if company_id is None and companies:
        rows = db.session.execute(
            select(Company.id, Company.slug, Company.name)
            .where(Company.id.in_([int(key) for key in companies]),
                   Company.id.not_in(out_of_sight(viewer)))).all()
        facets.append(_facet("company", "Company", companies,
                             {str(row.id): (row.slug, row.name) for row in rows}))
    kinds = counts.get("kind", Counter())
    if kind is None and kinds:
        facets.append(_facet("kind", "Kind", kinds,
                             {key: (key, key.capitalize()) for key in kinds}))
    statuses = counts.get("status", Counter())
    if status is None and statuses:
        labels = dict(status_choices(company_id))
        facets.append(_facet("status", "Idea status", statuses, {
            key: (key, labels.get(key, key.replace("_", " ").capitalize()))
            for key in statuses}))
    return tuple(facet for facet in facets if facet.values)


def _facet(name: str, label: str, counts: Counter[str],
           shown: dict[str, tuple[str, str]]) -> Facet:
    values = sorted((FacetValue(*shown[key], count) for key, count in counts.items()
                     if key in shown), key=lambda value: (-value.count, value.label))
    return Facet(name, label, tuple(values))

