"""Domain errors raised by services, and how the web turns them into answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from forum.api.problems import field_problem, is_api_request, problem
from forum.database import is_database_fault, recover_session
from forum.extensions import login_manager
from forum.web import safe_next


class DomainError(Exception):
    """A service refused: the message is shown to the person who asked."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    """The input breaks a rule (too long, empty, unknown value)."""

    status = 400


class NotAllowed(DomainError):
    """The actor may not do this."""

    status = 403


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know it does."""

    status = 404


class Conflict(DomainError):
    """The request clashes with the current state (already taken, already done)."""

    status = 409


class TooMany(DomainError):
    """A posting or sign-in limit was reached."""

    status = 429


TITLES = {
    400: "That request did not make sense",
    403: "You can't do that",
    404: "Page not found",
    405: "That method is not allowed here",
    409: "That clashes with what is already there",
    413: "That upload is too large",
    422: "Please check the form",
    429: "Slow down a little",
    500: "Something went wrong on our side",
}


DATABASE_TITLE = "Cocreate can't reach its database right now"
DATABASE_MESSAGE = ("Your work is not lost: everything already saved is safe. "
                    "Please try again in a moment.")
RETRY_AFTER_SECONDS = 30
# Shown when even the error page cannot be rendered (templates gone, the layout failing).
PLAIN_MESSAGES = {500: "We have logged the problem. Please try again in a moment."}


def error_page(status: int, message: str | None = None, *, title: str | None = None,
               template: str = "errors/error.html", **context: Any) -> tuple[str, int]:
    """The friendly page for an error status; htmx requests get just the message.

    Never fails: when the layout cannot load the signed-in person (the database went
    away), the page is shown as to a visitor; when it cannot be rendered at all, a plain
    page says the same in a few words.
    """
    title = title or TITLES.get(status, "Something went wrong")
    try:
        return _render_error(status, title, message, template, context), status
    except Exception as problem:
        failure = problem
    if is_database_fault(failure):
        show_as_to_a_visitor(failure)
        try:
            return _render_error(status, title, message, template, context), status
        except Exception as problem:
            failure = problem
    current_app.logger.error("The %d page could not be rendered", status, exc_info=failure)
    return _plain_page(title, message or PLAIN_MESSAGES.get(status, "")), status


def _message_only() -> bool:
    """An htmx request that swaps a part of the page wants the message, not a page."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _render_error(status: int, title: str, message: str | None, template: str,
                  context: dict[str, Any]) -> str:
    if _message_only():
        return render_template("errors/_message.html", title=title, message=message)
    return render_template(template, status=status, title=title, message=message, **context)


def _plain_page(title: str, message: str) -> str:
    """The same answer in a few words, needing no template and no database."""
    if _message_only():
        return Markup('<div class="alert alert-error" role="alert"><strong>{}.</strong> {}'
                      "</div>").format(title, message)
    return Markup('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
                  "<title>{} · Cocreate</title></head><body><main><h1>{}</h1><p>{}</p>"
                  '<p><a href="{}/">Go to the start page</a></p></main></body></html>'
                  ).format(title, title, message, request.script_root)


def show_as_to_a_visitor(error: BaseException) -> None:
    """After a database fault: end the request's transaction and render the rest of this
    answer as to a signed-out visitor, because loading the signed-in person (their name,
    their unread count) needs the database. Their cookie is untouched: they are still
    signed in once the database is back."""
    recover_session(error)
    login_manager._update_request_context_with_user()  # flask-login's "no one" for now


def database_unavailable(error: BaseException) -> tuple[str, int, dict[str, str]]:
    """503 with Retry-After: the database is down, cut off or locked; nothing is lost."""
    summary = next(iter(str(error).splitlines()), type(error).__name__)
    current_app.logger.warning("The database failed %s %s: %s", request.method, request.path,
                               summary)
    show_as_to_a_visitor(error)
    retry = None
    if request.method in ("GET", "HEAD"):
        retry = safe_next(request.full_path.rstrip("?"), url_for("companies.home"))
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_api_request():
        return problem(503, f"{DATABASE_TITLE}. {DATABASE_MESSAGE}"), 503, headers
    body, status = error_page(503, DATABASE_MESSAGE, title=DATABASE_TITLE,
                              template="errors/database.html", retry_url=retry)
    return body, status, headers


def api_http_problem(error: HTTPException, status: int) -> ResponseReturnValue:
    """An HTTP error under /api/v1 as a problem, keeping the headers it carries (Allow,
    Retry-After). One already shaped as a problem (`abort(problem(...))`) is kept."""
    if error.response is not None:
        return error.response
    detail = {404: "There is nothing at this address.",
              429: "You have made too many requests. Wait and try again."}.get(
        status, error.description or "")
    headers = dict(error.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    if status == 429:
        headers.setdefault("Retry-After", "60")
    return problem(status, detail, headers=headers)


def configure_errors(app: Flask) -> None:
    """Every error becomes a page in the site's layout, never a bare traceback."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> ResponseReturnValue:
        if is_api_request():
            return field_problem(error.status, error.message, error.field)
        return error_page(error.status, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseReturnValue:
        if is_api_request():
            return problem(403, "A session needs the X-CSRFToken header to write; "
                           "or use a bearer token.")
        return error_page(400, "Your form expired or came from another site. "
                          "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        # A database fault after the view (loading the signed-in person for the
        # response's headers) reaches here wrapped in a 500.
        original = getattr(error, "original_exception", None)
        if original is not None and is_database_fault(original):
            return database_unavailable(original)
        status = error.code or 500
        if is_api_request():
            return api_http_problem(error, status)
        message = None if status in (404, 500) else error.description
        if status == 429:
            message = "You have tried that too often. Please wait a minute and try again."
        return error_page(status, message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if is_api_request():
            return problem(500, PLAIN_MESSAGES[500])
        return error_page(500)

    @app.errorhandler(SQLAlchemyError)
    def _database_error(error: SQLAlchemyError) -> ResponseReturnValue:
        if is_database_fault(error):
            return database_unavailable(error)
        return _unexpected(error)
