"""Reading ids and page numbers from requests, and refusing what no database column holds.

Werkzeug's `int` converter and Python's `int()` take any length and any script's digits:
`/t/99999999999999999999999` overflowed SQLite's integer, `/t/2147483648` PostgreSQL's, both
answering 500, and "١٢" read as 12. Every id the app takes from a URL, a query string or a
form goes through `parse_id`; `configure_routing` makes it the app's `int` converter.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter, ValidationError

from forum.hooks import hooks_of
from forum.pagination import MAX_PAGE

__all__ = ["CLEAN_THEIR_OWN_QUERY", "MAX_ID", "NUL_MESSAGE", "IdConverter", "configure_routing",
           "parse_id", "parse_page", "refuse_nul_characters"]

# Every id a URL or a form names is an INTEGER column: 32 bits on PostgreSQL (64 on SQLite).
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")  # not \d, which matches every script's digits
NUL_MESSAGE = "That request contained characters we can't accept."
# Free-text search strips control characters from its query itself (forum/search/params.py)
# and promises an answer to any text typed in the box.
CLEAN_THEIR_OWN_QUERY = frozenset({"search.search", "search.company_search"})


def parse_id(text: str) -> int:
    """An id as written in a URL or a form: ASCII digits up to MAX_ID, else ValueError.

    It raises like `int()`, so `request.args.get("quote", type=parse_id)` ignores a bad one.
    """
    if not _ASCII_DIGITS.fullmatch(text) or len(text.lstrip("0")) > len(str(MAX_ID)):
        raise ValueError(f"not an id: {text[:30]!r}")
    number = int(text)
    if number > MAX_ID:
        raise ValueError(f"not an id: {text[:30]!r}")
    return number


def parse_page(text: str) -> int:
    """A page number from the query string, at most MAX_PAGE; ValueError unless 1 or more."""
    number = parse_id(text)
    if number < 1:
        raise ValueError("pages start at 1")
    return min(number, MAX_PAGE)


class IdConverter(BaseConverter):
    """`<int:name>` everywhere: an id that fits the column, else the URL matches nothing (404)."""

    regex = r"[0-9]+"
    weight = 50  # werkzeug's own int converter's, so rules keep their matching order

    def to_python(self, value: str) -> int:
        try:
            return parse_id(value)
        except ValueError as error:
            raise ValidationError() from error

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def _has_nul(values: MultiDict[str, str]) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def refuse_nul_characters() -> None:
    """PostgreSQL keeps no NUL in text: refuse it here rather than fail in a query (500)."""
    args_checked = request.endpoint not in CLEAN_THEIR_OWN_QUERY
    if ("\x00" in request.path or (args_checked and _has_nul(request.args))
            or _has_nul(request.form)):
        abort(400, NUL_MESSAGE)


UPLOAD_SLACK = 64 * 1024  # an upload form's other fields and its multipart framing


def apply_upload_limit() -> None:
    """A route that takes large uploads (see Hooks.add_upload_limit) reads its request
    under its own limit; set before anything (CSRF, the NUL check) reads the form."""
    setting = hooks_of().upload_limits.get(request.endpoint or "")
    if setting:
        request.max_content_length = int(current_app.config[setting]) + UPLOAD_SLACK


def configure_routing(app: Flask) -> None:
    """Before any blueprint adds its rules, since a rule binds its converter when added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, apply_upload_limit)
    app.before_request(refuse_nul_characters)
