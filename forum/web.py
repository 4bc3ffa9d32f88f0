"""Web plumbing shared by every area: safe redirects, security headers."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from forum.extensions import htmx

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)

# What htmx sends that changes what a page answers (see wants_fragment and error_page).
HTMX_VARY = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")
PRIVATE = "private, no-store"
_DECODINGS = 4  # a path still changing after this many decodings is refused outright


def safe_next(target: str | None, default: str) -> str:
    """The target if it is a path on this site, else default: no open redirects."""
    if not target or not _is_local(target):
        return default
    path = urlsplit(target).path
    for _ in range(_DECODINGS):  # also what a proxy or server that decodes again sees
        decoded = unquote(path)
        if decoded == path:
            return target
        if not _is_local(decoded):
            return default
        path = decoded
    return default


def _is_local(target: str) -> bool:
    """One slash then a path, with nothing a browser reads as a scheme or a host.

    Browsers drop tabs and newlines and read a backslash as a slash, so control
    characters, backslashes and a leading double slash are all refused.
    """
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def background_thread_wanted(setting: str) -> bool:
    """A worker thread's setting (NOTIFIER_THREAD, SEARCH_INDEXER_THREAD): on, off, or
    unset for "under the development server", which `flask run` and `make run` use."""
    wanted = current_app.config.get(setting)
    if wanted is None:
        return str(request.environ.get("SERVER_SOFTWARE", "")).startswith("Werkzeug/")
    return bool(wanted)


def wants_fragment() -> bool:
    """A real htmx request (not boosted, not a history restore) gets the _fragment."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def security_headers(response: Response) -> Response:
    """Headers every answer carries: browser protections and what caches may keep."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    response.vary.update(HTMX_VARY)
    if _personal():
        response.headers["Cache-Control"] = PRIVATE
    return response


def _personal() -> bool:
    """A signed-in person's answer, or one that changes the session: no cache keeps it.

    The session check catches signing in and out, whose cookie is only written after
    this runs. Static files are the same for everyone and are left to their own headers.
    """
    if request.endpoint == "static":
        return False
    return session.modified or bool(current_user.is_authenticated)


def configure_web(app: Flask) -> None:
    app.after_request(security_headers)
    if proxies := app.config.get("PROXY_COUNT", 0):
        # Each proxy appends the address it got the request from: the client's is the
        # one the outermost of ours saw, `proxies` from the end; any before it is forged.
        app.wsgi_app = ProxyFix(app.wsgi_app,  # type: ignore[method-assign]
                                x_for=proxies, x_proto=proxies)
