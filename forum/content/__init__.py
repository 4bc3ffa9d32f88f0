"""User text -> safe HTML: the only place in Cocreate where HTML is produced from user input.

Posts are Markdown. They are rendered once, on save, and the stored HTML is shown as is, so
every byte of it must be safe no matter what the author typed. Three layers, each of which
would be enough on its own, so that a bug or a surprising default in one is not an XSS:

1. markdown-it (``js-default`` preset: CommonMark + tables + strikethrough) with raw HTML
   *off*: anything that looks like a tag is escaped text before a sanitizer ever sees it.
   Its token stream is also where mentions and thread paths are linked, because there code
   spans, code blocks and existing links are already told apart from prose.
2. bleach (html5lib) with a small allowlist, plus its linkifier for bare URLs; one callback
   gives every ``<a>`` the same ``rel`` and unwraps links that lost their ``href``.
3. nh3 (ammonia, a different parser in a different language) with the same allowlist.

The package never touches the database: the caller passes ``known_users`` to say which
mentioned names exist, and acts on the returned ``mentions`` and ``thread_ids`` itself.

The work is split by layer: ``markdown`` (parsing, mentions and thread links),
``sanitizing`` (the allowlists, bleach and nh3) and ``stored_html`` (reading HTML already
stored: its text and the threads it links to). This module is the public API.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import nh3

from forum.content.markdown import Resolver, ResolverFailed, markdown_to_html
from forum.content.sanitizing import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    LINK_REL,
    sanitize,
)
from forum.content.stored_html import TextExtractor, linked_thread_ids

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_PROTOCOLS", "ALLOWED_TAGS", "DEFAULT_THREAD_AREAS",
           "LINK_REL", "MAX_SOURCE_LENGTH", "Rendered", "Resolver", "normalize_source", "quote",
           "render", "render_plain_excerpt"]

log = logging.getLogger(__name__)

MAX_SOURCE_LENGTH = 20_000  # characters; callers validate against this too
# Thread pages live at /c/<company>/<area>/<id>-<slug>; the areas are the app's (forum's
# "t" and whatever plug-ins register), so the patterns are built per set of areas.
DEFAULT_THREAD_AREAS = ("t",)


@lru_cache(maxsize=8)
def _thread_path_patterns(areas: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a bare site path in text, a link's path) to a thread page in one of `areas`."""
    area = "|".join(re.escape(name) for name in areas)
    site_path = re.compile(
        rf"(?<![\w/.:@-])/c/[\w-]{{1,64}}/(?:{area})/[0-9]{{1,18}}(?:-[\w-]*+)?(?![\w/])")
    thread_path = re.compile(rf"/c/[^/]{{1,64}}/(?:{area})/([0-9]{{1,18}})(?:-[^/]*)?/?")
    return site_path, thread_path

_NEWLINE_RE = re.compile(r"\r\n?")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but \t, \n), DEL, C1
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Rendered:
    """What a post stores: its HTML, plus what the caller must record (notifications, links)."""

    html: str  # safe HTML, ready to store and show
    mentions: tuple[str, ...]  # lower-cased usernames that were linked, first appearance, unique
    thread_ids: tuple[int, ...]  # ids of threads linked by URL, unique, in order


def normalize_source(source: str) -> str:
    """Canonical form of user text, so what is stored, counted and rendered is the same.

    Newlines become "\\n"; NUL and other control characters (except tab and newline) are
    removed because browsers and parsers disagree about them (``<scr\\0ipt>``); lone
    surrogates, which cannot be encoded to UTF-8 (the database would refuse them), become
    U+FFFD; NFC makes visually identical text compare and count the same.
    """
    text = _NEWLINE_RE.sub("\n", source)
    text = _CONTROL_RE.sub("", text)
    text = _SURROGATE_RE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def render(source: str, *, known_users: Resolver | None = None,
           thread_areas: Iterable[str] = DEFAULT_THREAD_AREAS) -> Rendered:
    """Markdown -> sanitized HTML. known_users receives candidate names (lower-cased) and
    returns the subset that exist; thread_areas are the path segments of thread pages.

    ``known_users`` is called at most once, with every candidate, so a post with fifty
    mentions costs one query; it is not called when there is no candidate. Without it no
    mention is linked; its exceptions propagate unchanged. Input longer than
    MAX_SOURCE_LENGTH is cut (callers reject it first; this only bounds the work). Never
    raises because of the text: should a parser fail on input nobody foresaw, the text is
    stored escaped rather than the post being lost.
    """
    text = normalize_source(source)[:MAX_SOURCE_LENGTH]
    site_path, thread_path = _thread_path_patterns(tuple(sorted(set(thread_areas))))
    try:
        raw_html, mentions = markdown_to_html(text, known_users, site_path)
        safe_html = sanitize(raw_html)
    except ResolverFailed as failure:
        raise failure.original from None  # the caller's problem (say, the database), not ours
    except Exception:
        log.exception("markdown rendering failed; storing the text escaped")
        safe_html = nh3.clean(
            "<p>" + escape(text).replace("\n", "<br>\n") + "</p>", tags={"p", "br"}
        )
        mentions = ()
    return Rendered(html=safe_html, mentions=mentions,
                    thread_ids=linked_thread_ids(safe_html, thread_path))


def render_plain_excerpt(html: str, length: int = 200) -> str:
    """Text of stored HTML, whitespace collapsed, cut at a word boundary with an ellipsis
    (for lists and meta descriptions).

    Returns plain text, not markup: templates must autoescape it (Jinja does). The result,
    ellipsis included, is at most ``length`` characters.
    """
    if length <= 0:
        return ""
    extractor = TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = _SPACE_RE.sub(" ", "".join(extractor.parts)).strip()
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if text[length - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.!?-") + "…"


def quote(source: str, author: str) -> str:
    """Markdown source that quotes `source` as a blockquote attributed to @author, for a
    reply box.

    Every line gets a "> " prefix (nested quotes just gain a level, code fences stay inside
    the quote). An author that is not a valid username is written as escaped plain text so
    it can neither mention someone else nor inject Markdown. Ends with a blank line so the
    reply starts below the quote.
    """
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]{2,29}", author):
        attribution = f"@{author} wrote:"
    else:
        name = _SPACE_RE.sub(" ", normalize_source(author)).strip() or "Someone"
        attribution = re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~@&])", r"\\\1", name) + " wrote:"
    body = normalize_source(source).strip("\n")
    lines = [attribution, "", *body.split("\n")] if body else [attribution]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines) + "\n\n"
