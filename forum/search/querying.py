"""What a person typed -> a Whoosh query, without Whoosh's query language.

Whoosh's parser accepts fields, ranges, boolean operators and wildcards, and fails in
surprising ways on unbalanced input. People type words, "quoted phrases" and -exclusions,
so that is all this understands; everything else is text. It never raises: control
characters are dropped, the length and number of terms are capped (with a notice), a
wildcard is only honoured at the end of a word (`export*`) and never starts a term.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from whoosh import query

from forum.content import normalize_source
from forum.search.conjunction import AllOf
from forum.search.phrases import Phrase
from forum.search.schema import ANALYZER, META, is_cjk
from forum.search.union import BestOf

# Filters are and-ed into the query with a weight too small to change any ranking, but
# not zero: Whoosh prunes sub-queries whose best possible score is 0 from unions.
FILTER_BOOST = 1e-6
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MIN_PREFIX = 2  # characters before a trailing "*"
TEXT_FIELD = "text"  # titles and bodies (schema.TitledText)

# -"a phrase" (closing quote optional), or a run of anything else up to a space.
_LEX_RE = re.compile(r'(-*)"([^"]*)"?|(\S+)')
_WILDCARD_RE = re.compile(r"[*?]")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class ParsedQuery:
    """The parts of a query, as typed, plus notices about what was left out."""

    text: str = ""
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=())

    @property
    def has_terms(self) -> bool:
        return bool(self.words or self.phrases or self.prefixes)


@dataclass
class _Parts:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def count(self) -> int:
        return len(self.words) + len(self.phrases) + len(self.prefixes) + len(self.excluded)


def parse(raw: str) -> ParsedQuery:
    """Split a query into words, phrases, prefixes and exclusions; never raises."""
    text = _SPACE_RE.sub(" ", normalize_source(raw or "")).strip()
    parts = _Parts()
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        parts.notices.append(f"Your search was shortened to {MAX_QUERY_CHARS} characters.")
    for match in _LEX_RE.finditer(text):
        if parts.count() >= MAX_TERMS:
            parts.notices.append(f"Only the first {MAX_TERMS} terms were searched for.")
            break
        dashes, phrase, word = match.groups()
        if word is None:
            _add_phrase(parts, phrase, negative=bool(dashes))
        else:
            _add_word(parts, word)
    return ParsedQuery(text, tuple(parts.words), tuple(parts.phrases), tuple(parts.prefixes),
                       tuple(parts.excluded), tuple(dict.fromkeys(parts.notices)))


def _add_phrase(parts: _Parts, phrase: str, negative: bool) -> None:
    phrase = _SPACE_RE.sub(" ", _WILDCARD_RE.sub(" ", phrase)).strip()
    if phrase:
        (parts.excluded if negative else parts.phrases).append(phrase)


def _add_word(parts: _Parts, word: str) -> None:
    negative = word.startswith("-")
    word = word.lstrip("-")
    prefix = word.endswith("*") and not negative
    if word.startswith(("*", "?")) or _WILDCARD_RE.search(word.rstrip("*")):
        parts.notices.append("Wildcards (* and ?) only work at the end of a word, as in export*.")
    core = _SPACE_RE.sub(" ", _WILDCARD_RE.sub(" ", word)).strip()
    if not core:
        return
    if negative:
        parts.excluded.append(core)
    elif prefix and " " not in core and len(core) >= MIN_PREFIX:
        parts.prefixes.append(core)
    else:
        parts.words.extend(core.split(" "))


def analyze(text: str, *, stem: bool = True) -> list[str]:
    """The index terms for `text`, as the documents were analyzed."""
    return [token.text for token in ANALYZER(text, mode="query", no_morph=not stem)]


def _text_query(text: str) -> query.Query | None:
    """`text` in a title or body (TEXT_FIELD: a title's words weigh more); several terms
    form a phrase."""
    terms = analyze(text)
    if not terms:
        return None
    if len(terms) > 1:
        return phrase_query(terms)
    if is_cjk(terms[0]) and len(terms[0]) == 1:
        # Runs of CJK are indexed as pairs: a lone character matches the pairs it starts.
        return query.Prefix(TEXT_FIELD, terms[0])
    return query.Term(TEXT_FIELD, terms[0])


def phrase_query(terms: list[str]) -> query.Query:
    """Terms in a row (in the index's pairs where it has them: phrases.Phrase)."""
    return Phrase(TEXT_FIELD, terms)


# (fieldname, prefix) -> the indexed words a prefix stands for, in a given index
PrefixExpander = Callable[[str, str], list[str]]


def _prefix_query(text: str, expand: PrefixExpander | None = None) -> query.Query | None:
    terms = analyze(text, stem=False)
    if len(terms) != 1 or len(terms[0]) < MIN_PREFIX:
        return _text_query(text)
    if expand is None:
        return query.Prefix(TEXT_FIELD, terms[0])
    words = expand(TEXT_FIELD, terms[0])
    if not words:
        return query.NullQuery
    return BestOf([query.Term(TEXT_FIELD, word) for word in words])


def to_whoosh(parsed: ParsedQuery, expand: PrefixExpander | None = None) -> query.Query | None:
    """The Whoosh query for the parsed text; None when no term survives analysis.

    With `expand`, a prefix becomes the words it returns (capped, see bounded.py) rather
    than Whoosh's Prefix, which ors together every indexed word that starts with it.
    """
    required = [_text_query(text) for text in (*parsed.words, *parsed.phrases)]
    required += [_prefix_query(text, expand) for text in parsed.prefixes]
    present = [item for item in required if item is not None]
    if not present:
        return None
    combined: query.Query = AllOf(present) if len(present) > 1 else present[0]
    excluded = [item for item in map(_text_query, parsed.excluded) if item is not None]
    if excluded:
        combined = query.AndNot(combined, query.Or(excluded))
    return combined


@dataclass(frozen=True)
class Filters:
    """Structured filters, already validated by the caller."""

    company_id: int | None = None
    kind: str | None = None
    status: str | None = None
    tag: str | None = None
    author: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive

    @property
    def active(self) -> bool:
        return any(value is not None for value in vars(self).values())


def filter_terms(filters: Filters) -> list[query.Query]:
    """One query per active filter, weighing (next to) nothing in the score.

    They are and-ed with the text query rather than given as `filter=`: Whoosh 2.7's
    filter collector skips collapsing, and a constant-score wrapper lists every matching
    document up front, which costs more than the search itself on a large index.
    """
    exact = {"company": filters.company_id, "kind": filters.kind, "status": filters.status,
             "author": filters.author.lower() if filters.author else None,
             "tags": filters.tag.strip().lower() if filters.tag else None}
    parts: list[query.Query] = [query.Term(name, str(value), boost=FILTER_BOOST)
                                for name, value in exact.items() if value]
    if filters.date_from or filters.date_to:
        parts.append(query.DateRange("created", filters.date_from, filters.date_to,
                                     endexcl=True, boost=FILTER_BOOST, constantscore=False))
    return parts


def filtered(text_query: query.Query | None, filters: Filters) -> query.Query:
    """The text query within the filters; with no text, every thread and post that match."""
    if text_query is None:  # the meta document matches Every() and no text, so only here
        text_query = query.AndNot(query.Every(), query.Term("doc_type", META))
    parts = filter_terms(filters)
    return AllOf([text_query, *parts]) if parts else text_query


def without_companies(whole: query.Query, company_ids: Iterable[int]) -> query.Query:
    """`whole` without the documents of these companies (private spaces the searcher is
    not part of)."""
    excluded = [query.Term("company", str(company_id)) for company_id in sorted(company_ids)]
    return query.AndNot(whole, query.Or(excluded)) if excluded else whole


def highlight_terms(parsed: ParsedQuery) -> tuple[frozenset[str], tuple[str, ...]]:
    """Index terms to mark in snippets, and prefixes whose words should be marked too."""
    exact = {term for text in (*parsed.words, *parsed.phrases) for term in analyze(text)}
    prefixes = tuple(term for text in parsed.prefixes for term in analyze(text, stem=False))
    return frozenset(exact), prefixes
