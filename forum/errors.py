"""Domain errors raised by services, and how the web turns them into answers."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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


def error_page(status: int, message: str | None = None) -> tuple[str, int]:
    """The friendly page for an error status; htmx requests get just the message."""
    title = TITLES.get(status, "Something went wrong")
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        return render_template("errors/_message.html", title=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def configure_errors(app: Flask) -> None:
    """Every error becomes a page in the site's layout, never a bare traceback."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[str, int]:
        return error_page(error.status, error.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> tuple[str, int]:
        return error_page(400, "Your form expired or came from another site. "
                          "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        message = None if status in (404, 500) else error.description
        if status == 429:
            message = "You have tried that too often. Please wait a minute and try again."
        return error_page(status, message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_page(500)
