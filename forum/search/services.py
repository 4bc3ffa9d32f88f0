"""Search as the rest of Cocreate sees it: plain functions, so the engine can be swapped.

`search` answers the search pages and `more_like_this` finds threads like a draft (the
ideas' "has this been suggested?" box). Whoosh finds and ranks; the database has the last
word on what is shown: every page of hits is checked against it in one query (hidden
threads and posts, threads a plug-in marks merged), so
something hidden a moment ago is gone from results before the indexer has caught up, and
titles, votes and statuses are the current ones, not the indexed copies.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from forum import policy
from forum.companies.access import find_company, out_of_sight, unseen_company_ids
from forum.companies.models import Company
from forum.errors import Invalid
from forum.extensions import db
from forum.search import querying
from forum.search.documents import thread_extras, visible_threads
from forum.search.runtime import get_runtime
from forum.search.similar import similar_thread_ids
from forum.search.snippets import highlight
from forum.search.store import IndexUnavailable
from forum.threads.models import Kind, Post, Thread
from forum.threads.urls import thread_path

log = logging.getLogger("forum.search")

SORTS = ("relevance", "newest", "votes")
MAX_PAGE = 50  # deeper than this, people refine the search instead
MAX_PER_PAGE = 50
OVERFETCH = 4  # documents fetched per thread wanted, then four times more if short
FEW_HITS = 3  # spelling suggestions are only worth their cost below this many results


class SearchUnavailable(Exception):
    """There is no readable index right now (a rebuild has been started)."""


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
class SearchResults:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0  # threads, not documents
    page: int = 1
    per_page: int = 20
    suggestion: str | None = None
    notices: tuple[str, ...] = ()
    more: bool = False  # threads were counted up to `total`, and there are more than that

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.per_page)))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class _StoredHit:
    thread_id: int
    post_id: int
    title: str
    body: str


def search(
    query: str,
    *,
    viewer: Any,
    company_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    author: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
) -> SearchResults:
    """Threads matching `query` and the filters, grouped per thread, best first.

    `viewer` is who asks: nothing of a private space they are not part of comes back,
    left out in the index's query and checked again against the database. Dates are
    inclusive days. Raises Invalid for an unknown sort or page, SearchUnavailable when
    there is no readable index.
    """
    _check(kind, sort, page, per_page)
    parsed = querying.parse(query)
    filters = querying.Filters(company_id, kind, status, tag, author, _day(date_from),
                               _day(date_to, plus_one=True))
    text_query = querying.to_whoosh(parsed)
    empty = SearchResults(parsed.text, page=page, per_page=per_page, notices=parsed.notices)
    if text_query is None:
        if parsed.text or not filters.active:
            return _nothing_to_search(parsed, empty)
        sort = "newest" if sort == "relevance" else sort
    unseen = unseen_company_ids(viewer)
    whole_query = querying.without_companies(querying.filtered(text_query, filters), unseen)
    stored, (total, more), suggestion = _run(whole_query, parsed, sort, page, per_page,
                                             unseen)
    hits = _hydrate(stored, parsed, viewer)
    total = max(len(hits), total - (len(stored) - len(hits)))  # hidden since indexing
    return SearchResults(parsed.text, hits, total, page, per_page, suggestion, parsed.notices,
                         more)


def _check(kind: str | None, sort: str, page: int, per_page: int) -> None:
    if sort not in SORTS:
        raise Invalid(f"Sort by one of: {', '.join(SORTS)}.", field="sort")
    if kind is not None and kind not in {item.value for item in Kind}:
        raise Invalid("Unknown kind of thread.", field="kind")
    if not 1 <= page <= MAX_PAGE:
        raise Invalid(f"Pages go from 1 to {MAX_PAGE}; refine the search to see more.",
                      field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"Show between 1 and {MAX_PER_PAGE} results per page.", field="page")


def _day(value: date | None, plus_one: bool = False) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value + timedelta(days=1 if plus_one else 0), time.min)


def _nothing_to_search(parsed: querying.ParsedQuery, empty: SearchResults) -> SearchResults:
    if not parsed.text:
        return empty
    if parsed.excluded and not parsed.has_terms:
        notice = "Add a word to search for, not only words to leave out."
    else:
        notice = "Those words are too common to search for; try more specific ones."
    return SearchResults(empty.query, page=empty.page, per_page=empty.per_page,
                         notices=(*parsed.notices, notice))


def _sorting(sort: str) -> Any:
    """Which document comes first; the first of each thread is the post its hit shows."""
    newest = sorting.FieldFacet("created", reverse=True)
    if sort == "newest":
        return newest
    if sort == "votes":
        return sorting.MultiFacet([sorting.FieldFacet("votes", reverse=True), newest])
    return None  # relevance


def _run(
    whole_query: wq.Query, parsed: querying.ParsedQuery, sort: str, page: int, per_page: int,
    unseen: frozenset[int], *, reopened: bool = False,
) -> tuple[list[_StoredHit], tuple[int, bool], str | None]:
    """One page of hits (one per thread), the thread count, a spelling suggestion.

    Raises SearchUnavailable only when the index cannot be read: none is there (a rebuild
    has been started), or its files cannot be read even after opening it again. Anything
    else that goes wrong while searching is a bug, left for the app's error handler to log.
    """
    runtime = get_runtime()
    try:
        with runtime.searcher() as searcher:
            return _search_page(searcher, whole_query, parsed, sort, page, per_page, unseen)
    except IndexUnavailable as problem:
        raise SearchUnavailable(problem.reason) from None
    except OSError as problem:
        # Its files went away under this process's searcher (a newer version published,
        # a segment merged away): open the index again, once.
        runtime.forget_searcher()
        if reopened:
            log.error("The search index could not be read: %s", problem, exc_info=True)
            raise SearchUnavailable("the index could not be read") from problem
        log.warning("Search could not read the index; opening it again", exc_info=True)
    except Exception:
        runtime.forget_searcher()  # whatever broke, the next search opens a fresh one
        raise
    return _run(whole_query, parsed, sort, page, per_page, unseen, reopened=True)


def _search_page(
    searcher: Searcher, whole_query: wq.Query, parsed: querying.ParsedQuery, sort: str,
    page: int, per_page: int, unseen: frozenset[int],
) -> tuple[list[_StoredHit], tuple[int, bool], str | None]:
    """The page's threads, each with its first document in the sort order.

    Whoosh's own `collapse` removes documents from its heap one at a time, a linear cost
    each: a common word with many hits per thread took seconds. Here the top documents are
    fetched and the threads picked from them in Python, fetching more only when a page
    needs more threads than the documents held. Threads are counted separately and only
    as far as anyone can page: grouping every match by thread in the same pass made
    Whoosh collect and categorize all of them.
    """
    wanted, limit = page * per_page, page * per_page * OVERFETCH
    total, more = count_threads(searcher, whole_query, up_to=MAX_PAGE * per_page)
    while True:
        results = searcher.search(whole_query, limit=limit, sortedby=_sorting(sort))
        firsts: dict[int, Any] = {}
        for hit in results:
            firsts.setdefault(int(hit["thread_id"]), hit)
            if len(firsts) == wanted:
                break
        if len(firsts) >= min(wanted, total) or results.scored_length() < limit:
            break
        limit *= OVERFETCH
    stored = [
        _StoredHit(thread_id, int(hit.get("post_id") or 0), hit.get("title") or "",
                   hit.get("body") or "")
        for thread_id, hit in list(firsts.items())[(page - 1) * per_page: wanted]
    ]
    suggestion = suggest(searcher, parsed, unseen) if total < FEW_HITS else None
    return stored, (total, more), suggestion


def count_threads(searcher: Searcher, whole_query: wq.Query, *, up_to: int) -> tuple[int, bool]:
    """How many threads have a matching document, counting no further than `up_to`.

    Returns (count, more): `more` says the count stopped at `up_to` with matches left.
    Nobody pages past `MAX_PAGE`, so a common word stops after the first few thousand
    documents instead of reading every posting unscored.
    """
    seen: set[bytes] = set()
    for leaf, _offset in searcher.leaf_searchers():
        thread_of = leaf.reader().column_reader("thread_id")
        # Stepping the matcher, not `docs()`: an intersection's `docs()` first reads
        # every id of both sides into sets.
        matcher = whole_query.matcher(leaf)
        while matcher.is_active():
            seen.add(thread_of[matcher.id()])
            if len(seen) > up_to:
                return up_to, True
            matcher.next()
    return len(seen), False


def suggest(searcher: Searcher, parsed: querying.ParsedQuery,
            unseen: frozenset[int] = frozenset()) -> str | None:
    """The query with unknown words replaced by the closest indexed ones ("did you mean"),
    if the searcher would find anything with it: a word only a private space they are
    not part of uses is never suggested to them."""
    reader = searcher.reader()
    corrector = reader.corrector(searcher.schema["title"].spelling_fieldname("title"))
    text, changed = parsed.text, False
    for word in parsed.words:
        terms = querying.analyze(word)
        if len(terms) != 1 or any(reader.doc_frequency(name, terms[0])
                                  for name in querying.TEXT_FIELDS):
            continue
        candidates = corrector.suggest(word.lower(), limit=1, maxdist=2, prefix=1)
        if candidates and candidates[0] != word.lower():
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", candidates[0], text, count=1)
            changed = True
    if not changed:
        return None
    if unseen:
        corrected = querying.to_whoosh(querying.parse(text))
        if corrected is None or searcher.search(
                querying.without_companies(corrected, unseen), limit=1).is_empty():
            return None
    return text


def _hydrate(stored: list[_StoredHit], parsed: querying.ParsedQuery, viewer: Any
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


def more_like_this(
    company_id: int,
    title: str,
    body: str = "",
    *,
    kind: str,
    limit: int = 5,
    exclude_thread_id: int | None = None,
) -> list[int]:
    """Ids of this company's visible threads of `kind` most like `title`/`body`, best first.

    Only threads that share enough of the distinctive words pass the relevance threshold,
    so an unrelated company returns []. Never raises for a missing index: the caller is
    writing something, and that must not fail because search is rebuilding.
    """
    if limit < 1:
        return []
    try:
        with get_runtime().searcher() as searcher:
            candidates = similar_thread_ids(searcher, company_id, kind, title, body,
                                            limit * 3, exclude_thread_id)
    except IndexUnavailable:
        return []
    visible = visible_threads(db.session, candidates)
    return [thread_id for thread_id in candidates if thread_id in visible][:limit]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, kind.value.capitalize()) for kind in Kind]


def company_choices(viewer: Any) -> list[tuple[str, str]]:
    """(slug, name) of every company `viewer` may see, for the company filter."""
    rows = db.session.execute(select(Company.slug, Company.name)
                              .where(Company.id.not_in(out_of_sight(viewer)))
                              .order_by(Company.name))
    return [(slug, name) for slug, name in rows]


def company_by_slug(slug: str, viewer: Any) -> Company | None:
    """The company at `slug` if `viewer` may see it: a private space is no company to
    anyone else, in the filter as in its own search page."""
    company = find_company(slug)
    if company is None or not policy.can(viewer, policy.Action.VIEW_COMPANY, company):
        return None
    return company


__all__ = ["SearchHit", "SearchResults", "SearchUnavailable", "more_like_this", "search"]
