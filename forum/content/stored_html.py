"""Reading HTML that forum.content produced: its text, and the threads it links to."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit


class TextExtractor(HTMLParser):
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


def linked_thread_ids(html: str, thread_path: re.Pattern[str]) -> tuple[int, ...]:
    """Ids from links to /c/<company>/<area>/<id>-<slug>, relative or absolute.

    Any host is accepted (the module does not know the site's); the caller checks that the
    thread exists and may be linked before recording anything.
    """
    extractor = TextExtractor()
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
