"""Search as the rest of Cocreate sees it: plain functions, so the engine can be swapped.

`search` answers the search pages and `more_like_this` finds threads like a draft (the
ideas' "has this been suggested?" box). Whoosh finds and ranks within the caps of
bounded.py (each search scores a bounded number of documents, and a page already found
for the same query, filters, hidden spaces and index generation comes from the cache);
the database has the last word on what is shown (hits.py).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from time import perf_counter
from typing import Any

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
from forum.search.bounded import Scan, SearchLimits, capped_search, frequent_terms
from forum.search.documents import visible_threads
from forum.search.hits import Facet, SearchHit, StoredHit, hydrate, label_facets
from forum.search.runtime import get_runtime
from forum.search.similar import similar_thread_ids
from forum.search.store import IndexUnavailable
from forum.search.tiers import TIER_COLUMNS, first_by
from forum.threads.models import Kind

log = logging.getLogger("forum.search")

SORTS = ("relevance", "newest", "votes")
MAX_PAGE = 50  # deeper than this, people refine the search instead
MAX_PER_PAGE = 50
OVERFETCH = 4  # documents fetched per thread wanted, then four times more if short
FEW_HITS = 3  # spelling suggestions are only worth their cost below this many results


class SearchUnavailable(Exception):
    """There is no readable index right now (a rebuild has been started)."""


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
    capped: bool = False  # the search stopped at its cap: these are the best it scored
    scanned: int = 0  # documents scored for this page (at most the scan cap per search)
    facets: tuple[Facet, ...] = ()  # threads per company, kind, status (of `total` if more)

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
class _Request:
    """What the index is asked: hashable, as the result cache's key (with the index
    generation). `unseen` is part of it, so no viewer is shown another's private hits."""

    parsed: querying.ParsedQuery
    filters: querying.Filters
    sort: str
    page: int
    per_page: int
    unseen: frozenset[int]


@dataclass(frozen=True)
class _Found:
    """A page of hits as the index gave them, before the database's last word."""

    stored: tuple[StoredHit, ...]
    total: int
    more: bool
    capped: bool
    scanned: int
    suggestion: str | None
    notices: tuple[str, ...]
    facets: dict[str, Counter[str]]


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
    request = _Request(parsed, filters, sort, page, per_page, unseen_company_ids(viewer))
    found = _run(request)
    hits = hydrate(list(found.stored), parsed, viewer)
    if sort == "votes":
        # The index has the votes of its last commit; the page shows the database's, so
        # it is ordered by those (a vote cast a moment ago moves its idea up the page).
        hits.sort(key=lambda hit: (hit.votes, hit.created_at), reverse=True)
    # Less what was hidden since it was indexed.
    total = max(len(hits), found.total - (len(found.stored) - len(hits)))
    facets = label_facets(found.facets, viewer, company_id=company_id, kind=kind,
                          status=status)
    return SearchResults(parsed.text, hits, total, page, per_page, found.suggestion,
                         (*parsed.notices, *found.notices), found.more, found.capped,
                         found.scanned, facets)


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


def _run(request: _Request, *, reopened: bool = False) -> _Found:
    """One page of hits (one per thread), from the result cache or the index.

    Raises SearchUnavailable only when the index cannot be read: none is there (a rebuild
    has been started), or its files cannot be read even after opening it again. Anything
    else that goes wrong while searching is a bug, left for the app's error handler to log.
    """
    runtime = get_runtime()
    try:
        with runtime.reading() as (searcher, generation):
            key = (generation, runtime.limits, request)
            cached = runtime.cache.get(key)
            if cached is not None:
                runtime.stats.record(capped=False)
                return replace(cached, scanned=0)  # nothing was scored for this one
            started = perf_counter()
            found = _search_page(searcher, request, runtime.limits)
            runtime.cache.put(key, found, weight=sum(
                len(hit.title) + len(hit.body) for hit in found.stored) + 1)
            runtime.stats.record(capped=found.capped)
            if found.capped:
                # Which words are costly: for operators (and a reason to tune the cap).
                log.warning("Search hit its cap: %r, %d documents scored in %.0f ms",
                            request.parsed.text, found.scanned,
                            (perf_counter() - started) * 1000)
            return found
    except IndexUnavailable as problem:
        raise SearchUnavailable(problem.reason) from None
    except OSError as problem:
        # Its files went away under this searcher (a newer version published, a segment
        # merged away): open the index again, once.
        runtime.forget_searcher()
        if reopened:
            log.error("The search index could not be read: %s", problem, exc_info=True)
            raise SearchUnavailable("the index could not be read") from problem
        log.warning("Search could not read the index; opening it again", exc_info=True)
    except Exception:
        runtime.forget_searcher()  # whatever broke, the next search opens a fresh one
        raise
    return _run(request, reopened=True)


def _whole_query(searcher: Searcher, request: _Request, limits: SearchLimits
                 ) -> tuple[wq.Query, tuple[str, ...]]:
    """The query for this index, each prefix standing for its most frequent words; and a
    notice for each prefix that stands for more words than the cap."""
    notices: list[str] = []

    def expand(fieldname: str, prefix: str) -> list[str]:
        words, left_out = frequent_terms(searcher.reader(), fieldname, prefix,
                                         limits.prefix_terms)
        if left_out:
            notices.append(f"{prefix}* was searched as the {len(words)} most common words "
                           f"that start with \u201c{prefix}\u201d; type more letters for "
                           "the others.")
        return words

    text_query = querying.to_whoosh(request.parsed, expand)
    whole = querying.without_companies(querying.filtered(text_query, request.filters),
                                       request.unseen)
    return whole, tuple(dict.fromkeys(notices))


def _search_page(searcher: Searcher, request: _Request, limits: SearchLimits) -> _Found:
    """The page's threads, each with its first document in the sort order.

    Whoosh's own `collapse` removes documents from its heap one at a time, a linear cost
    each: a common word with many hits per thread took seconds. Here the top documents are
    fetched and the threads picked from them in Python, fetching more only when a page
    needs more threads than the documents held. The same pass counts threads, only as far
    as anyone can page: grouping every match by thread made Whoosh collect and categorize
    all of them. The pass stops at the scan cap.
    """
    page, per_page = request.page, request.per_page
    whole_query, notices = _whole_query(searcher, request, limits)
    wanted, limit = page * per_page, page * per_page * OVERFETCH
    scanned = 0
    while True:
        scan = _scan(searcher, whole_query, request, limits, limit)
        scanned += scan.scanned
        firsts: dict[int, Any] = {}
        for hit in scan.results:
            firsts.setdefault(int(hit["thread_id"]), hit)
            if len(firsts) == wanted:
                break
        if (len(firsts) >= min(wanted, scan.threads.total)
                or scan.results.scored_length() < limit or scan.capped):
            break
        limit *= OVERFETCH
    stored = tuple(
        StoredHit(thread_id, int(hit.get("post_id") or 0), hit.get("title") or "",
                   hit.get("body") or "")
        for thread_id, hit in list(firsts.items())[(page - 1) * per_page: wanted]
    )
    total = scan.threads.total
    suggestion = (suggest(searcher, request.parsed, request.unseen)
                  if total < FEW_HITS else None)
    return _Found(stored, total, scan.threads.more, scan.capped, scanned, suggestion,
                  notices, scan.threads.facets)


def _scan(searcher: Searcher, whole_query: wq.Query, request: _Request,
          limits: SearchLimits, limit: int) -> Scan:
    """The top `limit` documents and the threads counted, in one capped pass; sorted by
    votes or date, a pass that only counts (stopping once the count is full), then the
    first from the tiers of tiers.py, exact where the capped pass would show the first
    of the shortest documents."""
    sortedby, counting = _sorting(request.sort), MAX_PAGE * request.per_page
    column = TIER_COLUMNS.get(request.sort)
    if column is not None and limits.scan_cap:
        counted = capped_search(searcher, whole_query, limit=limit, sortedby=sortedby,
                                cap=limits.scan_cap, count_up_to=counting,
                                step_cap=limits.step_cap, until_counted=True)
        if not counted.capped:
            return counted  # every match seen: exact already
        top = first_by(searcher, column, whole_query, limit=limit, sortedby=sortedby,
                       wanted=request.page * request.per_page, cap=limits.scan_cap,
                       step_cap=limits.step_cap)
        if top is not None:
            return Scan(top.results, counted.scanned + top.scanned, False, counted.threads)
    return capped_search(searcher, whole_query, limit=limit, sortedby=sortedby,
                         cap=limits.scan_cap, count_up_to=counting, step_cap=limits.step_cap)


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
        if len(terms) != 1 or reader.doc_frequency(querying.TEXT_FIELD, terms[0]):
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
