"""Web plumbing shared by every area: safe redirects, security headers, health."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy import text

from forum.extensions import db, htmx

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

bp = Blueprint("web", __name__)


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to after signing in, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def wants_fragment() -> bool:
    """A real htmx request (not boosted, not a history restore) gets the _fragment."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    response.vary.add("HX-Request")
    return response


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness for load balancers: answers 200 only when the database does."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        db.session.rollback()
        return jsonify(status="error", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok"), 200


def configure_web(app: Flask) -> None:
    app.after_request(security_headers)
    app.register_blueprint(bp)
