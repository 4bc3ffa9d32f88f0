"""The Whoosh schema and the analyzer every text field shares.

Whoosh pickles the schema (analyzer included) into each index, so the classes here are
part of the on-disk format: renaming one, or changing a field, means bumping
SCHEMA_VERSION, which makes every process rebuild the index instead of misreading it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from whoosh import columns, fields
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

from forum.search.positions import PackedPositions

# 2: the cursor counts events, not outbox rows; 3: facet columns; 4: title and body
# searched as one field (`text`), two words in a row with a common one as a term (`pairs`);
# 5: a thread's title words by company and kind (`scoped_title`), for similar ideas;
# 6: `text` keeps positions as PackedPositions (positions.py), not as pickles
SCHEMA_VERSION = 6
TITLE_WEIGHT = 2.0  # in `text` and `pairs`, a title's word counts as this many
PART_GAP = 100  # positions between a title and its body in `text`: no phrase spans them

META_KEY = "__meta__"
THREAD, POST, META = "thread", "post", "meta"

# Scripts written without spaces between words: each run of them is cut into overlapping
# pairs of characters (as Lucene's CJK analyzer does), so a query for any two-character
# word inside a sentence matches. Hiragana, katakana, CJK ideographs and their extensions.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"


def _combining_marks() -> str:
    """Every combining mark of the Basic Multilingual Plane, as a regex class body.

    Python's \\w leaves them out, which would cut Devanagari, Thai or Arabic words with
    vowel signs into pieces.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{start:04x}-\\u{end:04x}" for start, end in ranges)


_WORD_CHAR = rf"(?:(?![{_CJK}])[\w{_combining_marks()}])"
_TOKEN_RE = re.compile(
    rf"[{_CJK}]+"  # a run of CJK characters
    rf"|{_WORD_CHAR}+(?:\.{_WORD_CHAR}+)*"  # a word in any other script; "v2.0" stays whole
)
_CJK_RE = re.compile(rf"[{_CJK}]")


class WordTokenizer(Tokenizer):
    """Words in any script; runs of CJK characters become overlapping bigrams."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        spans = _spans(value) if tokenize else [(0, len(value))]
        for pos, (start, end) in enumerate(spans):
            token.text = value[start:end]
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _spans(value: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every token: words whole, CJK runs as bigrams (or one lone char)."""
    for match in _TOKEN_RE.finditer(value):
        start, end = match.span()
        if end - start > 1 and _CJK_RE.match(value, start):
            for offset in range(start, end - 1):
                yield offset, offset + 2
        else:
            yield start, end


def is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def make_analyzer() -> Any:
    """Words lower-cased, English stop words dropped, Latin accents folded, English stems.

    Stop words go with minsize=1 so that a lone CJK character survives; the stemmer only
    rewrites Latin suffixes, so other scripts pass through it unchanged.
    """
    return (
        WordTokenizer()
        | LowercaseFilter()
        | StopFilter(minsize=1)
        | CharsetFilter(accent_map)
        | StemFilter(lang="en")
    )


ANALYZER = make_analyzer()


Parts = tuple[str, str]  # (title, body): what `text` and `pairs` index


class TitledText(fields.TEXT):
    """A document's title and body as one searchable field, its value (title, body).

    A search then steps through one list of postings per word instead of a title's and a
    body's joined (a union costs as much again per document). A title's words weigh
    TITLE_WEIGHT occurrences each, so a title match still ranks first, and the body's
    positions start PART_GAP after the title's, so no phrase runs from one into the
    other. Positions are stored packed (positions.py), for phrases to read cheaply.
    """

    def __init__(self, analyzer: Any) -> None:
        super().__init__(analyzer=analyzer, phrase=True)
        self.format = PackedPositions(field_boost=self.format.field_boost)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        positions: dict[str, list[int]] = defaultdict(list)
        weights: dict[str, float] = defaultdict(float)
        for text, position, weight in _terms(value, self.analyzer):
            positions[text].append(position)
            weights[text] += weight
        for text, found in positions.items():
            yield (text.encode("utf-8"), len(found), weights[text],
                   self.format.encode(found))


# The commonest English words past the stop words (as in Lucene's CommonGrams): a phrase
# with one of them is slow to check by positions, as most documents have it, so each
# pair with one of them is indexed as a term of its own. Pairs of two rarer words are
# not (there would be as many as words): few documents have both, and their positions
# are checked.
COMMON_WORDS = """
i me my mine myself our ours he him his she her hers they them their theirs its it's
i'm i've i'd don't doesn't didn't can't won't isn't wasn't there here what which who
whom whose why how where do does did done doing was were been being has had having
would could should might must shall so but all any some no nor just also more most
very too only then than now out up down about into over under after before again once
other others same such each every both few own get got gets make made use used using
new one two first last time times like need want see know think go goes going went
way good great well much many still even back really please thanks thank help let
""".split()  # noqa: SIM905 (a list of words, read as prose)


class WordPairs(fields.TEXT):
    """Every two words in a row in a title or a body, one of them common, as one term
    "a b" (value: (title, body)): a phrase with a common word is then one list of
    postings, not every document with both words checked for their positions."""

    def __init__(self, analyzer: Any) -> None:
        super().__init__(analyzer=analyzer, phrase=False)  # counts, no positions
        # As indexed: a phrase is looked up here only for the pairs this index has.
        self.common = frozenset(term for word in COMMON_WORDS
                                for term in (token.text for token in analyzer(word)))

    def indexed(self, first: str, second: str) -> bool:
        return first in self.common or second in self.common

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        counts: dict[str, int] = defaultdict(int)
        weights: dict[str, float] = defaultdict(float)
        common = self.common
        previous, at = "", -2
        for text, position, weight in _terms(value, self.analyzer):
            if position == at + 1 and (text in common or previous in common):
                pair = f"{previous} {text}"
                counts[pair] += 1
                weights[pair] += weight
            previous, at = text, position
        for pair, count in counts.items():
            yield pair.encode("utf-8"), count, weights[pair], pack_uint(count)


def scoped_term(company_id: int | str, kind: str, term: str) -> str:
    """A title's word as `scoped_title` indexes it: "12 idea invoic"."""
    return f"{company_id} {kind} {term}"


class ScopedTitle(fields.TEXT):
    """A thread's title words, each with its company and kind (value: (company id, kind,
    title)): the similar-ideas lookup steps through one company's ideas that have a
    word of the draft, not every thread of every company that has it."""

    def __init__(self, analyzer: Any) -> None:
        super().__init__(analyzer=analyzer, phrase=False)  # counts, no positions

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        company_id, kind, title = value
        counts: dict[str, int] = defaultdict(int)
        for token in self.analyzer(str(title or ""), mode="index"):
            counts[token.text] += 1
        for text, count in counts.items():
            yield (scoped_term(company_id, kind, text).encode("utf-8"), count, float(count),
                   pack_uint(count))


_last = threading.local()  # the last value analyzed, as both fields index the same one


def _terms(value: Any, analyzer: Any) -> list[tuple[str, int, float]]:
    """(term, position, weight) of a (title, body) value: a title's terms first, weighing
    TITLE_WEIGHT, then the body's from PART_GAP positions further. The same value is
    indexed by `text` and `pairs` in turn: it is analyzed once."""
    if getattr(_last, "value", None) is value:
        return _last.terms  # type: ignore[no-any-return]
    terms: list[tuple[str, int, float]] = []
    start = 0
    for part, weight in zip(_parts(value), (TITLE_WEIGHT, 1.0), strict=True):
        last = start - 1
        for token in analyzer(part, positions=True, mode="index", start_pos=start):
            terms.append((token.text, token.pos, weight))
            last = token.pos
        start = last + 1 + PART_GAP
    _last.value, _last.terms = value, terms
    return terms


def _parts(value: Any) -> Parts:
    if isinstance(value, tuple) and len(value) == 2:
        return str(value[0] or ""), str(value[1] or "")
    return "", str(value or "")


def make_schema(analyzer: Any = ANALYZER) -> fields.Schema:
    """One document per thread (title + opening post) and one per reply.

    Every document carries its thread's filterable fields, so filters and sorts work on
    any hit and results can be collapsed to one per thread (`thread_id` is sortable).
    """
    return fields.Schema(
        key=fields.ID(unique=True, stored=True),  # "t:12", "p:345" or META_KEY
        doc_type=fields.ID(stored=True),
        thread_id=fields.ID(stored=True, sortable=True),
        post_id=fields.STORED(),
        # Spelling suggestions come from title words (unstemmed, in `spell_title`): a
        # spelling field over bodies would halve indexing speed for little gain.
        # The title alone, indexed for spelling suggestions.
        title=fields.TEXT(analyzer=analyzer, stored=True, spelling=True),
        scoped_title=ScopedTitle(analyzer),  # title words by company and kind
        body=fields.STORED(),  # searched as part of `text`
        text=TitledText(analyzer),  # what the search box searches: (title, body)
        pairs=WordPairs(analyzer),  # two-word phrases: (title, body)
        # Columns too, so the pass that counts threads also counts them per facet.
        company=fields.ID(sortable=True),  # the company's id, as text
        kind=fields.ID(sortable=True),
        status=fields.ID(sortable=True),
        tags=fields.KEYWORD(lowercase=True, commas=True),
        author=fields.ID(),  # lower-cased username of the post's (or thread's) author
        created=fields.DATETIME(sortable=True),
        votes=fields.COLUMN(columns.NumericColumn("i", default=0)),  # sorted on, never searched
        shared=fields.STORED(),  # on thread documents: the fields copied to its posts
        meta=fields.STORED(),
    )
