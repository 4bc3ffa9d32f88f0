"""More like this: which threads of one kind share a draft's distinctive words.

A match is measured by coverage: the share of the draft's term weight (inverse document
frequency, so "app" counts little and "invoice" a lot) that a candidate contains. Title
words weigh fully and the body's key terms half. Only candidates above MIN_COVERAGE come
back, so a company without a real duplicate answers with nothing rather than with its
most popular unrelated threads (ideas use it for "has this been suggested?").
"""

from __future__ import annotations

import heapq

from whoosh import query as wq
from whoosh.matching import mcore
from whoosh.searching import Searcher

from forum.search.bounded import newest_first
from forum.search.conjunction import AllOfMatcher
from forum.search.counting import segment_column
from forum.search.querying import FILTER_BOOST, TEXT_FIELD, analyze
from forum.search.schema import THREAD, scoped_term
from forum.search.union import AnyOfMatcher

MIN_COVERAGE = 0.4
BODY_TERMS = 8
BODY_WEIGHT = 0.5
MAX_TITLE_TERMS = 16
MAX_TEXT = 5_000  # characters of the body considered
SCOPED_FIELD = "scoped_title"
SCAN_CAP = 5_000  # documents of the company with a word of the draft looked at (bounded.py's order)


def _weighted_terms(searcher: Searcher, title: str, body: str) -> dict[str, float]:
    """Each term of the title (full weight) and the body's key terms (half), times idf."""
    weights: dict[str, float] = {}
    for term in analyze(title[:MAX_TEXT])[:MAX_TITLE_TERMS]:
        weights[term] = searcher.idf(TEXT_FIELD, term)
    if body.strip():
        key_terms = searcher.key_terms_from_text(TEXT_FIELD, body[:MAX_TEXT], numterms=BODY_TERMS)
        for term, _score in key_terms:
            weights.setdefault(term, searcher.idf(TEXT_FIELD, term) * BODY_WEIGHT)
    return weights


def similar_thread_ids(
    searcher: Searcher,
    company_id: int,
    kind: str,
    title: str,
    body: str,
    limit: int,
    exclude_thread_id: int | None,
    cap: int = SCAN_CAP,
) -> list[int]:
    """Threads of one kind and company above the coverage threshold, best first
    (unchecked against the database: the caller filters by visibility).

    One pass over the company's documents that share a word with the draft, in the
    order of a capped search (those added since the rebuild, then the shortest first),
    at most `cap` of them: the kind, the thread left out and the coverage are
    read per match (the kind from its column), not intersected with postings lists as
    long as the index.
    """
    weights = _weighted_terms(searcher, title, body)
    total = sum(weights.values())
    if not weights or total <= 0:
        return []
    # While a title is typed (no body yet) only titles are compared, the company's ideas'
    # (`scoped_title`): a duplicate is told by its title, and the bodies' postings are
    # many times longer to step through. With a body, title and body together
    # (TEXT_FIELD, where a title's words weigh more already), on threads' own documents.
    if body.strip():
        name = TEXT_FIELD
        filters = [wq.Term("company", str(company_id), boost=FILTER_BOOST),
                   wq.Term("doc_type", THREAD, boost=FILTER_BOOST)]
        term_of = {word: word for word in weights}
    else:
        name, filters = SCOPED_FIELD, []
        term_of = {word: scoped_term(company_id, kind, word) for word in weights}
    word_of = {term.encode("utf-8"): word for word, term in term_of.items()}

    # A document with none of the draft's rarer words cannot reach the threshold: only
    # documents with one of them are stepped through; the commoner words add to their
    # score and coverage where they are there too (optional parts of the union).
    rare, common = _split_by_weight(weights, MIN_COVERAGE * total)
    wanted_kind, left_out = kind.encode(), str(exclude_thread_id or "").encode()
    # needs_current: matchers that can say which words match the current document
    context = searcher.context(needs_current=True, weighting=searcher.weighting)

    def words(leaf: Searcher, terms: list[str]) -> list[mcore.Matcher]:
        found = (wq.Term(name, term_of[term]).matcher(leaf, context) for term in terms)
        return [matcher for matcher in found if matcher.is_active()]

    def matcher_of(leaf: Searcher) -> mcore.Matcher:
        """The draft's rarer words, the commoner ones optional, within the filters
        (the union leads: it is rarer than a company's documents)."""
        required = words(leaf, rare)
        if not required:
            return mcore.NullMatcher()
        union = AnyOfMatcher(required, words(leaf, common))
        if not filters:
            return union
        return AllOfMatcher([union, *(query.matcher(leaf, context) for query in filters)])

    best: list[tuple[float, int, int]] = []  # (score, -order, thread id), a min-heap
    scanned = order = 0
    for leaf, _offset in newest_first(searcher):
        reader = leaf.reader()
        kinds = segment_column(reader, "kind")
        threads = segment_column(reader, "thread_id")
        matcher = matcher_of(leaf)
        while matcher.is_active() and not (cap and scanned >= cap):
            docnum, scanned = matcher.id(), scanned + 1
            if kinds[docnum] == wanted_kind and threads[docnum] != left_out:
                score = matcher.score()
                if len(best) < limit or score > best[0][0]:
                    matched = {word_of[term] for field, term in matcher.matching_terms()
                               if field == name and term in word_of}
                    covered = sum(weights.get(term, 0.0) for term in matched)
                    if covered / total >= MIN_COVERAGE:
                        order += 1
                        entry = (score, -order, int(threads[docnum]))
                        if len(best) < limit:
                            heapq.heappush(best, entry)
                        else:
                            heapq.heapreplace(best, entry)
            matcher.next()
    return [thread_id for _score, _order, thread_id in sorted(best, reverse=True)]


def _split_by_weight(weights: dict[str, float], needed: float
                     ) -> tuple[list[str], list[str]]:
    """The draft's words in two: the commonest (lowest weight) whose weights add up to
    less than `needed`, and the rest, of which a document must have one to reach it."""
    common, weight_of_common = [], 0.0
    for term, weight in sorted(weights.items(), key=lambda item: (item[1], item[0])):
        if weight_of_common + weight >= needed:
            break
        common.append(term)
        weight_of_common += weight
    return [term for term in weights if term not in common], common
