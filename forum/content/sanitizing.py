"""The allowlists, and the two sanitizers that enforce them on markdown-it's output.

bleach (html5lib) cleans first and linkifies bare URLs, one callback giving every ``<a>`` the
same ``rel``; nh3 (ammonia, a different parser in a different language) cleans again with the
same allowlist, last. Each would be enough alone, so a bug in one is not an XSS.
"""

from __future__ import annotations

import re
import threading
from collections.abc import MutableMapping
from functools import partial
from html import unescape
from typing import Any
from urllib.parse import unquote

import bleach
import nh3
from bleach.linkifier import TLDS, LinkifyFilter

# h1/h2 are the page's (site name, thread title); user headings start at h3 so they can
# never outrank the page's own outline. Markdown's "#".."######" map to h3..h6 (markdown._HEADING).
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
ALIGN_VALUES = frozenset({"left", "center", "right"})
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
# markdown.py uses it too, so that no mention or thread path inside a URL is linked.
URL_RE = re.compile(
    r"""\(?\b(?<![@.\w/-])
    (?:https?://[\w-]++(?:\.[\w-]++)*+       # explicit scheme: any host name
      |(?:[\w-]++\.)++(?:{tlds}))            # bare host: known TLD only
    (?::[0-9]{{1,5}})?(?!\.\w)\b
    (?:[/?\#][^\s{{}}|\\^`<>"]*+)?
    """.format(tlds="|".join(_BARE_TLDS)),
    re.IGNORECASE | re.VERBOSE,
)


def href_ok(href: str) -> bool:
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
        return value in ALIGN_VALUES
    return name != "href" or href_ok(value)


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
    if not href or not href_ok(href):
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
            url_re=URL_RE,
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


def sanitize(html: str) -> str:
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
