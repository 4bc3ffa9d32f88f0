"""Form helpers shared by every area."""

from __future__ import annotations

from typing import Any, TypeVar

from flask_login import current_user
from flask_wtf import FlaskForm

from forum.errors import DomainError

F = TypeVar("F", bound=FlaskForm)


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def page_form(form_class: type[F], **kwargs: Any) -> F:
    """A form a page may show. Signed out, nobody can submit it (the template asks `can`
    first), so it makes no CSRF token: the visitor gets no session cookie and the page is
    the same for every visitor, which lets the page cache keep it."""
    if not current_user.is_authenticated:
        kwargs["meta"] = {**kwargs.get("meta", {}), "csrf": False}
    return form_class(**kwargs)
