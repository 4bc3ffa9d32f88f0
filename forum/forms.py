"""Form helpers shared by every area."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from flask import request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.form import BaseForm
from wtforms.validators import StopValidation

from forum.errors import DomainError
from forum.routing import parse_id

F = TypeVar("F", bound=FlaskForm)
FILE_MESSAGE = "This field takes text, not a file."
_FROM_REQUEST = object()  # Flask-WTF's default: read the submitted request


class Form(FlaskForm):
    """Every form of the app: its fields read the text a browser posts, never files or JSON.

    Flask-WTF mixes `request.files` and JSON bodies into the form data; their values are
    not strings, so a file sent where a field expects text reached `.strip()` (500).
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: BaseForm, formdata: Any) -> Any:
            if formdata is not _FROM_REQUEST:
                return super().wrap_formdata(form, formdata)
            if not form.is_submitted() or not (request.form or request.files or request.is_json):
                return None  # as Flask-WTF: fields keep their defaults
            return request.form

    def __init__(self, formdata: Any = _FROM_REQUEST, **kwargs: Any) -> None:
        super().__init__(formdata=formdata, **kwargs)

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Also refuse, on the field itself, a file sent in place of its text."""
        valid = super().validate(extra_validators)
        if self.is_submitted():
            for name in request.files:
                if (field := self._fields.get(name)) is not None:
                    field.errors = [*field.errors, FILE_MESSAGE]
                    valid = False
        return valid


class IdField(StringField):
    """A number that names a row (a post, an idea): ASCII digits that fit the id column.

    `data` is the id, or None when the field is empty; anything else is a field error with
    `message`, so no lookup ever sees "²" or a number no column holds.
    """

    def __init__(self, label: str | None = None, validators: Sequence[Any] | None = None,
                 message: str = "Give a number, as in its address.", **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip().removeprefix("#") if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = parse_id(text)
            except ValueError:
                raise ValueError(self.message) from None

    def pre_validate(self, form: BaseForm) -> None:
        if self.process_errors:
            raise StopValidation()  # its own message, not a validator's "required"

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


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
