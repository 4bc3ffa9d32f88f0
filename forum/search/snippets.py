"""Highlighted snippets: escaped text with the matching words wrapped in <mark>.

The index stores plain text (the words of the sanitized post HTML), never markup. A
snippet is built here from that text: every piece is escaped by markupsafe and only the
<mark> tags added around matches are trusted, so a post that contains "<script>" as text
shows it as text.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from forum.search.schema import ANALYZER

SNIPPET_CHARS = 240
ELLIPSIS = "…"


def matched_spans(
    text: str, terms: frozenset[str], prefixes: tuple[str, ...] = ()
) -> list[tuple[int, int]]:
    """(start, end) character spans of words whose index term matches; merged, in order."""
    if not terms and not prefixes:
        return []
    spans: list[tuple[int, int]] = []
    for token in ANALYZER(text, chars=True, mode="index"):
        if token.text in terms or (prefixes and token.text.startswith(prefixes)):
            spans.append((token.startchar, token.endchar))
    if prefixes:  # a prefix is typed unstemmed: compare against the unstemmed words too
        for token in ANALYZER(text, chars=True, mode="index", no_morph=True):
            if token.text.startswith(prefixes):
                spans.append((token.startchar, token.endchar))
    return _merge(sorted(spans))


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _best_window(spans: list[tuple[int, int]], length: int, width: int) -> tuple[int, int]:
    """The `width`-character window holding the most matches, starting a little before them."""
    if not spans or length <= width:
        return 0, min(length, width)
    best_start, best_count, last = spans[0][0], 0, 0
    for first, (start, _end) in enumerate(spans):  # a sliding window: linear in matches
        last = max(last, first)
        while last < len(spans) and spans[last][1] <= start + width:
            last += 1
        if last - first > best_count:
            best_start, best_count = start, last - first
    start = max(0, min(best_start - width // 6, length - width))
    return start, min(length, start + width)


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move the window's edges out of the middle of words."""
    if start > 0:
        space = text.find(" ", start, start + 30)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        end = space if space > start else end
    return start, end


def highlight(
    text: str,
    terms: frozenset[str],
    prefixes: tuple[str, ...] = (),
    width: int | None = SNIPPET_CHARS,
) -> Markup:
    """Safe HTML: the best `width` characters of `text` (all of it when None), marked."""
    spans = matched_spans(text, terms, prefixes)
    start, end = (0, len(text)) if width is None else _snap(
        text, *_best_window(spans, len(text), width))
    pieces: list[Markup] = [escape(ELLIPSIS)] if start > 0 else []
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces.append(escape(text[cursor:span_start]))
        pieces.append(Markup("<mark>%s</mark>") % text[span_start:span_end])
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append(escape(ELLIPSIS))
    return Markup("").join(pieces)
