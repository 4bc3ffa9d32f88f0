"""Errors under /api/v1 as `application/problem+json` (RFC 9457).

forum.errors asks `is_api_request()` first in each of its handlers, so every error an API
request meets (a refusal, a bad body, a route or method that does not exist, a rate
limit, a database that went away) is answered in this one shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, json, request

API_PREFIX = "/api/v1"
PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def problem(status: int, detail: str, *, errors: Sequence[Mapping[str, str]] = (),
            headers: Mapping[str, str] | None = None, title: str | None = None) -> Response:
    """A problem document: type, title, status and detail, and `errors` (each a field and
    its message) when the input was at fault."""
    body: dict[str, Any] = {"type": "about:blank", "title": title or TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors:
        body["errors"] = [dict(error) for error in errors]
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_problem(status: int, detail: str, field: str | None) -> Response:
    """A problem naming the field at fault, when there is one."""
    return problem(status, detail, errors=[{"field": field, "message": detail}] if field else ())
