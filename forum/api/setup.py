"""Wiring the API into the app: tokens keep out of cookies, API blueprints check CSRF
themselves, and API answers say how much of their rate limit is left."""

from __future__ import annotations

import time

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from forum.api.problems import API_PREFIX, is_api_request
from forum.extensions import csrf, limiter


def _with_token(incoming: Request) -> bool:
    return "Authorization" in incoming.headers and (
        incoming.path == API_PREFIX or incoming.path.startswith(API_PREFIX + "/"))


class TokenSessionInterface(SecureCookieSessionInterface):
    """A request with a bearer token reads no session cookie and is sent none."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if _with_token(request):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession,  # type: ignore[override]
                     response: Response) -> None:
        if _with_token(request):
            return
        super().save_session(app, session, response)


def rate_limit_headers(response: Response) -> Response:
    """The IETF RateLimit-* headers on API answers (flask-limiter sends X-RateLimit-*)."""
    current = limiter.current_limit if is_api_request() else None
    if current is not None:
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
        response.headers["RateLimit-Reset"] = str(max(0, int(current.reset_at - time.time())))
        if response.status_code == 429:
            response.headers.setdefault("Retry-After", response.headers["RateLimit-Reset"])
    return response


def configure_api(app: Flask) -> None:
    """After the blueprints: every one under /api/v1 is left to check CSRF itself."""
    app.session_interface = TokenSessionInterface()
    for blueprint in app.blueprints.values():
        if blueprint.url_prefix == API_PREFIX:
            csrf.exempt(blueprint)
    app.after_request(rate_limit_headers)
