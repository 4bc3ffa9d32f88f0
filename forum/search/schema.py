"""The Whoosh schema and the analyzer every text field shares.

Whoosh pickles the schema (analyzer included) into each index, so the classes here are
part of the on-disk format: renaming one, or changing a field, means bumping
SCHEMA_VERSION, which makes every process rebuild the index instead of misreading it.
"""

from __future__ import annotations

import re
import unicodedata
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

SCHEMA_VERSION = 3  # 2: the cursor counts events, not outbox rows; 3: facet columns

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
        title=fields.TEXT(analyzer=analyzer, stored=True, spelling=True),
        body=fields.TEXT(analyzer=analyzer, stored=True),
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
