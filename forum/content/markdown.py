"""Markdown -> HTML with markdown-it, and the rewriting done on its token stream.

The first of forum.content's three layers: raw HTML off, so anything that looks like a tag is
escaped text. Mentions and bare thread paths are linked here, because in the token stream
code spans, code blocks and existing links are already told apart from prose; headings are
shifted below the page's own, and images become plain links.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from markdown_it import MarkdownIt
from markdown_it import helpers as md_helpers
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from forum.content.sanitizing import ALIGN_VALUES, URL_RE, href_ok

Resolver = Callable[[Iterable[str]], set[str]]  # candidate names (lower-cased) -> existing

_HEADING = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}
_MENTION_RE = re.compile(r"(?<![\w@./+-])@([A-Za-z0-9][A-Za-z0-9_]{2,29})(?![\w@]|\.\w)")
_PATHS_KEY = "cocreate.thread_paths"
_MAX_NESTING = 32  # markdown-it drops whatever is nested deeper (">>>>>>...", "- - - - ...")
_LABEL_BUDGET_KEY = "cocreate.label_budget"
_RESOLVER_KEY = "cocreate.known_users"
_MENTIONS_KEY = "cocreate.mentions"


class ResolverFailed(Exception):
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


def markdown_to_html(text: str, known_users: Resolver | None,
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
            raise ResolverFailed(exc) from exc
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
        if align in ALIGN_VALUES:
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
    urls = [m.span() for m in URL_RE.finditer(text)]
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
    if inside_link or not href_ok(src):
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
