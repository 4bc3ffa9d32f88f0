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

The module never touches the database: the caller passes ``known_users`` to say which
mentioned names exist, and acts on the returned ``mentions`` and ``thread_ids`` itself.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from functools import lru_cache, partial
from html import escape, unescape
from html.parser import HTMLParser
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import bleach
import nh3
from bleach.linkifier import TLDS, LinkifyFilter
from markdown_it import MarkdownIt
from markdown_it import helpers as md_helpers
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

log = logging.getLogger(__name__)

Resolver = Callable[[Iterable[str]], set[str]]  # candidate names (lower-cased) -> existing

MAX_SOURCE_LENGTH = 20_000  # characters; callers validate against this too

# h1/h2 are the page's (site name, thread title); user headings start at h3 so they can
# never outrank the page's own outline. Markdown's "#".."######" map to h3..h6 (see _HEADING).
# No img: remote images are tracking pixels and data: URLs are a sanitizer's worst case.
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "a", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote"}
    | {"ul", "ol", "li", "h3", "h4", "h5", "h6"}
    | {"table", "thead", "tbody", "tr", "th", "td"}
)
# rel is not listed: it is forced to LINK_REL on every link by both sanitizers.
# class only ever survives as "mention" (on a) or "language-x" (on code); see _attribute_ok.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class"}),
    "code": frozenset({"class"}),
    "ol": frozenset({"start"}),
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_CODE_CLASS_RE = re.compile(r"language-[a-z0-9+-]{1,30}")
_OL_START_RE = re.compile(r"[0-9]{1,9}")
_ALIGN_VALUES = frozenset({"left", "center", "right"})
_HEADING = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}
_URL_JUNK_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCRIPT_SCHEME_RE = re.compile(r"(?:java|vb|live)script:")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")

# Bare "example.com" is linked only for TLDs in bleach's list; these are dropped because in a
# product forum they are far more often file names (setup.py, README.md, lib.rs, run.sh).
# "https://..." is always linked, whatever the TLD.
_FILE_LIKE_TLDS = frozenset({"py", "md", "rs", "sh", "pl", "pm", "so", "ps", "sc", "ml", "mk"})
_MODERN_TLDS = frozenset({"app", "dev", "xyz", "tech", "blog", "cloud", "shop", "online"})
_BARE_TLDS = sorted((set(TLDS) - _FILE_LIKE_TLDS) | _MODERN_TLDS, key=lambda t: (-len(t), t))
# Shaped like bleach.linkifier.build_url_re, but linear: bleach's own pattern rescans from
# every "-" and "(" and takes seconds on "a-a-a-a-..." or "((((...". Here a match cannot start
# inside a word, host or path (lookbehind), quantifiers are possessive, and at most one
# leading "(" is taken (enough for bleach's strip_non_url_bits to pair it with a final ")").
_URL_RE = re.compile(
    r"""\(?\b(?<![@.\w/-])
    (?:https?://[\w-]++(?:\.[\w-]++)*+       # explicit scheme: any host name
      |(?:[\w-]++\.)++(?:{tlds}))            # bare host: known TLD only
    (?::[0-9]{{1,5}})?(?!\.\w)\b
    (?:[/?\#][^\s{{}}|\\^`<>"]*+)?
    """.format(tlds="|".join(_BARE_TLDS)),
    re.IGNORECASE | re.VERBOSE,
)
_MENTION_RE = re.compile(r"(?<![\w@./+-])@([A-Za-z0-9][A-Za-z0-9_]{2,29})(?![\w@]|\.\w)")
# Thread pages live at /c/<company>/<area>/<id>-<slug>; the areas are the app's (forum's
# "t" and whatever plug-ins register), so the patterns are built per set of areas.
DEFAULT_THREAD_AREAS = ("t",)
_PATHS_KEY = "cocreate.thread_paths"


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

_MAX_NESTING = 32  # markdown-it drops whatever is nested deeper (">>>>>>...", "- - - - ...")
_LABEL_BUDGET_KEY = "cocreate.label_budget"
_RESOLVER_KEY = "cocreate.known_users"
_MENTIONS_KEY = "cocreate.mentions"


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
        raw_html, mentions = _markdown_to_html(text, known_users, site_path)
        safe_html = _sanitize(raw_html)
    except _ResolverFailed as failure:
        raise failure.original from None  # the caller's problem (say, the database), not ours
    except Exception:
        log.exception("markdown rendering failed; storing the text escaped")
        safe_html = nh3.clean(
            "<p>" + escape(text).replace("\n", "<br>\n") + "</p>", tags={"p", "br"}
        )
        mentions = ()
    return Rendered(html=safe_html, mentions=mentions,
                    thread_ids=_thread_ids(safe_html, thread_path))


def render_plain_excerpt(html: str, length: int = 200) -> str:
    """Text of stored HTML, whitespace collapsed, cut at a word boundary with an ellipsis
    (for lists and meta descriptions).

    Returns plain text, not markup: templates must autoescape it (Jinja does). The result,
    ellipsis included, is at most ``length`` characters.
    """
    if length <= 0:
        return ""
    extractor = _TextExtractor()
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


# --- markdown ----------------------------------------------------------------------------


class _ResolverFailed(Exception):
    """Carries an exception of known_users through render's safety net, which is for input."""

    def __init__(self, original: Exception) -> None:
        super().__init__(original)
        self.original = original


@dataclass
class _Budget:
    """Mutable counter shared by nested label scans of one render (lives in the env)."""

    remaining: int = 100_000  # "[" scanning steps per render; see _bounded_parse_link_label


def _bounded_parse_link_label(state: StateInline, start: int, disable_nested: bool = False) -> int:
    """markdown-it's parseLinkLabel with a per-render step budget.

    Every "[" scans ahead for its "]"; unclosed ones scan to the end of the paragraph, so
    "[[[[..." is quadratic (20,000 of them take seconds). Ordinary posts use a few thousand
    steps; once the budget is spent, remaining brackets are plain text.
    """
    budget = state.env.setdefault(_LABEL_BUDGET_KEY, _Budget())
    old_pos, level = state.pos, 1
    state.pos = start + 1
    while state.pos < state.posMax:
        budget.remaining -= 1
        if budget.remaining < 0:
            break
        marker = state.src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                label_end, state.pos = state.pos, old_pos
                return label_end
        prev_pos = state.pos
        state.md.inline.skipToken(state)
        if marker == "[":
            if prev_pos == state.pos - 1:
                level += 1
            elif disable_nested:
                break
    state.pos = old_pos
    return -1


def _build_markdown() -> MarkdownIt:
    """The one parser: raw HTML off, linkify off (bleach linkifies), bounded nesting.

    Our token rewriting runs as a core rule *before* text_join, while backslash escapes are
    still separate tokens: "\\@name" is then literal text, not a mention.
    """
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    md.disable(["html_block", "html_inline", "linkify"])
    md.options["maxNesting"] = _MAX_NESTING
    md.core.ruler.before("text_join", "cocreate_links", _links_rule)
    helpers = ModuleType("cocreate_markdown_helpers")  # per instance; the module stays intact
    helpers.parseLinkLabel = _bounded_parse_link_label  # type: ignore[attr-defined]
    helpers.parseLinkDestination = md_helpers.parseLinkDestination  # type: ignore[attr-defined]
    helpers.parseLinkTitle = md_helpers.parseLinkTitle  # type: ignore[attr-defined]
    md.helpers = helpers
    return md


def _markdown_to_html(text: str, known_users: Resolver | None,
                      site_path: re.Pattern[str]) -> tuple[str, tuple[str, ...]]:
    """Parse (which runs _links_rule), render; the env carries the resolver and results."""
    env: dict[str, Any] = {_LABEL_BUDGET_KEY: _Budget(), _RESOLVER_KEY: known_users,
                           _PATHS_KEY: site_path}
    tokens = _MD.parse(text, env)
    return _MD.renderer.render(tokens, _MD.options, env), tuple(env.get(_MENTIONS_KEY, ()))


def _links_rule(state: StateCore) -> None:
    """Core rule: one resolver call for all candidates, then rewrite the token stream."""
    candidates: dict[str, None] = {}
    site_path: re.Pattern[str] = state.env[_PATHS_KEY]
    for token in state.tokens:
        for _, text, tail in _prose(token.children or []):
            candidates.update((name, None) for _, _, name
                              in _inline_matches(text, tail, site_path) if name)
    resolver: Resolver | None = state.env.get(_RESOLVER_KEY)
    known: set[str] = set()
    if candidates and resolver is not None:
        try:
            known = {str(name).lower() for name in resolver(tuple(candidates))}
        except Exception as exc:
            raise _ResolverFailed(exc) from exc
    linked: dict[str, None] = state.env.setdefault(_MENTIONS_KEY, {})
    for token in state.tokens:
        _rewrite_block_token(token)
        if token.children:
            token.children = _rewrite_inline(token.children, known, linked, site_path)


def _rewrite_block_token(token: Token) -> None:
    """Shift headings below the page's own; table alignment as align=, never style=."""
    if token.type in {"heading_open", "heading_close"}:
        token.tag = _HEADING.get(token.tag, "h6")
    elif token.type in {"th_open", "td_open"}:
        style = str(token.attrGet("style") or "")
        token.attrs.pop("style", None)
        align = style.removeprefix("text-align:")
        if align in _ALIGN_VALUES:
            token.attrSet("align", align)
    elif token.type == "fence":
        token.info = token.info.lower()  # "```Python" still gets class="language-python"


def _prose(children: list[Token]) -> Iterator[tuple[int, str, str]]:
    """(index, content, next char) of "text" tokens outside links.

    Code spans and blocks never produce "text" tokens, so they are excluded for free. The
    next char (of a following escape/entity token) keeps "@ali\\_ce" from mentioning "ali".
    """
    depth = 0
    for index, token in enumerate(children):
        depth += (token.type == "link_open") - (token.type == "link_close")
        if token.type == "text" and depth == 0:
            following = children[index + 1] if index + 1 < len(children) else None
            tail = following.content[:1] if following and following.type == "text_special" else ""
            yield index, token.content, tail


def _inline_matches(text: str, tail: str, site_path: re.Pattern[str]
                    ) -> list[tuple[int, int, str]]:
    """(start, end, lower-cased mention or "" for a site path) in text, none inside a URL."""
    full = text + tail
    urls = [m.span() for m in _URL_RE.finditer(text)]
    url_starts = [start for start, _ in urls]
    found = [(m.start(), m.end(), m.group(1).lower()) for m in _MENTION_RE.finditer(full)]
    found += [(m.start(), m.end(), "") for m in site_path.finditer(full)]
    matches = []
    for start, end, name in sorted(found):
        index = bisect_left(url_starts, end) - 1  # last URL starting before this match ends
        if end <= len(text) and (index < 0 or urls[index][1] <= start):
            matches.append((start, end, name))
    return matches


def _rewrite_inline(children: list[Token], known: set[str], linked: dict[str, None],
                    site_path: re.Pattern[str]) -> list[Token]:
    """Link known mentions and bare thread paths; turn images into plain links."""
    replacements = {index: _split_text(text, tail, known, linked, site_path)
                    for index, text, tail in _prose(children)}
    out: list[Token] = []
    depth = 0
    for index, token in enumerate(children):
        depth += (token.type == "link_open") - (token.type == "link_close")
        if token.type == "image":
            out.extend(_image_replacement(token, inside_link=depth > 0))
        else:
            out.extend(replacements.get(index, [token]))
    return out


def _split_text(text: str, tail: str, known: set[str], linked: dict[str, None],
                site_path: re.Pattern[str]) -> list[Token]:
    out: list[Token] = []
    pos = 0
    for start, end, name in _inline_matches(text, tail, site_path):
        if start < pos or (name and name not in known):
            continue
        out.append(_text_token(text[pos:start]))
        if name:
            linked[name] = None
            out.extend(_link_tokens(f"/u/{name}", text[start:end], "mention"))
        else:
            out.extend(_link_tokens(text[start:end], text[start:end]))
        pos = end
    out.append(_text_token(text[pos:]))
    return [token for token in out if token.type != "text" or token.content]


def _image_replacement(token: Token, *, inside_link: bool) -> list[Token]:
    """No images are shown (tracking pixels, data: URLs): a link to the target instead."""
    alt = RendererHTML().renderInlineAsText(token.children or [], _MD.options, {})
    src = str(token.attrGet("src") or "")
    if inside_link or not _href_ok(src):
        return [_text_token(alt)]
    return _link_tokens(src, alt or src)


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link_tokens(href: str, text: str, css_class: str = "") -> list[Token]:
    link_open = Token("link_open", "a", 1)
    link_open.attrSet("href", href)
    if css_class:
        link_open.attrSet("class", css_class)
    return [link_open, _text_token(text), Token("link_close", "a", -1)]


_MD = _build_markdown()


# --- sanitizing --------------------------------------------------------------------------


def _href_ok(href: str) -> bool:
    """Relative (our own /c/..., /u/...) or one of ALLOWED_PROTOCOLS; nothing else.

    Checked as written and after a few rounds of entity and percent decoding, with the
    whitespace and controls browsers ignore removed: "java&#9;script:", "%6Aavascript:".
    A relative "%6Aavascript:x" or "https://x/?javascript:" is harmless in a browser, but
    nobody needs it either, and "no href contains javascript:" is simple to audit.
    """
    value = href
    for _ in range(3):
        compact = _URL_JUNK_RE.sub("", value).lower()
        scheme = _SCHEME_RE.match(compact)
        if scheme and scheme.group(1) not in ALLOWED_PROTOCOLS:
            return False
        if _SCRIPT_SCHEME_RE.search(compact):
            return False
        value = unquote(unescape(value))
    return True


def _attribute_ok(tag: str, name: str, value: str) -> bool:
    """The attribute allowlist, including the few values-level rules."""
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name == "class":
        return value == "mention" if tag == "a" else bool(_CODE_CLASS_RE.fullmatch(value))
    if name == "start":
        return bool(_OL_START_RE.fullmatch(value))
    if name == "align":
        return value in _ALIGN_VALUES
    return name != "href" or _href_ok(value)


def _bleach_attribute_ok(tag: str, name: str, value: str) -> bool:
    return (name == "rel" and tag == "a") or _attribute_ok(tag, name, value)


def _nh3_attribute_filter(tag: str, name: str, value: str) -> str | None:
    """nh3 also shows us the rel it adds itself (link_rel); keep exactly that one."""
    if tag == "a" and name == "rel":
        return LINK_REL
    return value if _attribute_ok(tag, name, value) else None


def _link_callback(attrs: MutableMapping[Any, str], new: bool = False) -> Any:
    """Applied by bleach to every <a>, from markdown or linkified: same rel for all.

    A link whose href was removed (disallowed scheme) is unwrapped to its text by returning
    None, which bleach documents but its type stubs do not allow (hence ``Any``). Bare
    "example.com" is linked as https, not bleach's default http.
    """
    href = attrs.get((None, "href"), "")
    if not href or not _href_ok(href):
        return None
    if new and href.startswith("http://") and not str(attrs["_text"]).lower().startswith("http"):
        attrs[(None, "href")] = "https://" + href.removeprefix("http://")
    attrs[(None, "rel")] = LINK_REL
    return attrs


_local = threading.local()


def _cleaner() -> bleach.Cleaner:
    """One bleach Cleaner per thread: its html5lib parser keeps state (bleach's own advice)."""
    cleaner: bleach.Cleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        linkify = partial(
            LinkifyFilter,
            callbacks=[_link_callback],
            skip_tags={"pre", "code"},
            parse_email=False,
            url_re=_URL_RE,
        )
        cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=_bleach_attribute_ok,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[linkify],
        )
        _local.cleaner = cleaner
    return cleaner


def _sanitize(html: str) -> str:
    """bleach (allowlist + linkify + rel), then nh3 with the same allowlist, last."""
    cleaned = _cleaner().clean(html)
    return nh3.clean(
        cleaned,
        tags=set(ALLOWED_TAGS),
        attributes={"*": set(), **{tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}},
        attribute_filter=_nh3_attribute_filter,
        url_schemes=set(ALLOWED_PROTOCOLS),
        link_rel=LINK_REL,
        strip_comments=True,
    )


# --- reading stored HTML -----------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Text content of HTML; block boundaries become spaces so words do not run together."""

    _BLOCKS = frozenset({"p", "br", "hr", "li", "pre", "blockquote", "tr", "th", "td", "div"})
    _BLOCKS |= {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append(" ")
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _thread_ids(html: str, thread_path: re.Pattern[str]) -> tuple[int, ...]:
    """Ids from links to /c/<company>/<area>/<id>-<slug>, relative or absolute.

    Any host is accepted (the module does not know the site's); the caller checks that the
    thread exists and may be linked before recording anything.
    """
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    ids: dict[int, None] = {}
    for href in extractor.hrefs:
        try:
            parts = urlsplit(href)
        except ValueError:  # e.g. "http://[not-an-ipv6"
            continue
        match = thread_path.fullmatch(parts.path)
        if parts.scheme in {"", "http", "https"} and match:
            ids[int(match.group(1))] = None
    return tuple(ids)
