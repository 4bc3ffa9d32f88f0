"""More like this: which threads of one kind share a draft's distinctive words.

A match is measured by coverage: the share of the draft's term weight (inverse document
frequency, so "app" counts little and "invoice" a lot) that a candidate contains. Title
words weigh fully and the body's key terms half. Only candidates above MIN_COVERAGE come
back, so a company without a real duplicate answers with nothing rather than with its
most popular unrelated threads (ideas use it for "has this been suggested?").
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.searching import Searcher

from forum.search.querying import FILTER_BOOST, TEXT_FIELDS, analyze
from forum.search.schema import THREAD

MIN_COVERAGE = 0.4
BODY_TERMS = 8
BODY_WEIGHT = 0.5
MAX_TITLE_TERMS = 16
MAX_TEXT = 5_000  # characters of the body considered


def _weighted_terms(searcher: Searcher, title: str, body: str) -> dict[str, float]:
    """Each term of the title (full weight) and the body's key terms (half), times idf."""
    weights: dict[str, float] = {}
    for term in analyze(title[:MAX_TEXT])[:MAX_TITLE_TERMS]:
        weights[term] = searcher.idf("body", term)
    if body.strip():
        key_terms = searcher.key_terms_from_text("body", body[:MAX_TEXT], numterms=BODY_TERMS)
        for term, _score in key_terms:
            weights.setdefault(term, searcher.idf("body", term) * BODY_WEIGHT)
    return weights


def similar_thread_ids(
    searcher: Searcher,
    company_id: int,
    kind: str,
    title: str,
    body: str,
    limit: int,
    exclude_thread_id: int | None,
) -> list[int]:
    """Threads of one kind and company above the coverage threshold, best first
    (unchecked against the database: the caller filters by visibility)."""
    weights = _weighted_terms(searcher, title, body)
    total = sum(weights.values())
    if not weights or total <= 0:
        return []
    text_query = wq.Or([wq.Term(name, term, boost=boost) for term in weights
                        for name, boost in (("title", 2.0), ("body", 1.0))])
    # Filters weigh next to nothing and are and-ed in rather than given as `filter=`,
    # which would list every thread of the company first.
    scoped: wq.Query = wq.And([text_query, *(
        wq.Term(name, value, boost=FILTER_BOOST)
        for name, value in (("doc_type", THREAD), ("company", str(company_id)),
                            ("kind", kind)))])
    if exclude_thread_id:
        scoped = wq.AndNot(scoped, wq.Term("thread_id", str(exclude_thread_id)))
    results = searcher.search(scoped, limit=limit, terms=True)
    found = []
    for hit in results:
        matched = {_text(term) for name, term in hit.matched_terms() if name in TEXT_FIELDS}
        if sum(weights[term] for term in matched if term in weights) / total >= MIN_COVERAGE:
            found.append(int(hit["thread_id"]))
    return found


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term
