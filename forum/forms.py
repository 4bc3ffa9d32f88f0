"""Form helpers shared by every area, and the one round trip of a form page."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.form import BaseForm
from wtforms.validators import StopValidation

from forum.errors import DomainError
from forum.routing import parse_id
from forum.web import wants_fragment

F = TypeVar("F", bound=FlaskForm)
T = TypeVar("T")
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


# A service's refusal of what was typed (Invalid 400, Conflict 409) is fixed in the form,
# so the form comes back 422, as when the form itself refuses a field. Any other refusal
# keeps its own status: the person may not (403), the thing is gone (404), not now (429).
INPUT_REFUSALS = frozenset({400, 409})


@dataclass(frozen=True)
class Submission(Generic[T]):
    """What came of a form in this request: shown, refused with a status, or done."""

    form: FlaskForm
    status: int = 200  # of the form shown again: 200 not sent, 422 or a refusal's status
    done: bool = False
    result: T | None = None  # what the service returned, once done


def submit(form: FlaskForm, service: Callable[[], T], *,
           refusal_statuses: Mapping[type[DomainError], int] | None = None) -> Submission[T]:
    """Validate a sent form and, when it is valid, call its one service.

    The service's refusal (a DomainError) is put next to the field it names, or on top of
    the form; anything else it raises is a bug, left to the app's error handler.
    """
    if not form.validate_on_submit():
        return Submission(form, 422 if form.is_submitted() else 200)
    try:
        result = service()
    except DomainError as error:
        attach_error(form, error)
        return Submission(form, refusal_status(error, refusal_statuses))
    return Submission(form, done=True, result=result)


def refusal_status(error: DomainError,
                   overrides: Mapping[type[DomainError], int] | None = None) -> int:
    """The status of a form shown again after its service refused (see INPUT_REFUSALS);
    `overrides` maps a kind of refusal to the status one view answers it with."""
    for kind, status in (overrides or {}).items():
        if isinstance(error, kind):
            return status
    return 422 if error.status in INPUT_REFUSALS else error.status


def answer(submission: Submission[T], page: str | Callable[[], str],
           on_success: Callable[[T], ResponseReturnValue], *, fragment: str | None = None,
           target: str | None = None, **context: Any) -> ResponseReturnValue:
    """`on_success(result)` once the service has done it, else the form again.

    `page` is the template that shows the form (given `form` and `context`), or a function
    that renders the page. A real htmx request gets the view's `fragment` instead (given
    the same), swapped over the element `target` names.
    """
    if submission.done:
        return on_success(cast(T, submission.result))
    form = submission.form
    if fragment is not None and wants_fragment():
        headers = {"HX-Retarget": target, "HX-Reswap": "outerHTML"} if target else {}
        return render_template(fragment, form=form, **context), submission.status, headers
    shown = page() if callable(page) else render_template(page, form=form, **context)
    return shown, submission.status


def form_round_trip(form: FlaskForm, page: str | Callable[[], str], service: Callable[[], T],
                    on_success: Callable[[T], ResponseReturnValue], *,
                    refusal_statuses: Mapping[type[DomainError], int] | None = None,
                    fragment: str | None = None, target: str | None = None,
                    **context: Any) -> ResponseReturnValue:
    """A form page's GET/POST round trip in one call (Fider's action): `submit`, `answer`.

    GET shows the form (200). A POST that the form or the service refuses shows it again
    with each message next to its field (422, or see refusal_status). A POST the service
    accepts is answered by `on_success(result)`, usually `redirect_with_message`.
    A view whose service must share its transaction calls `submit` and `answer` itself.
    """
    submission = submit(form, service, refusal_statuses=refusal_statuses)
    return answer(submission, page, on_success, fragment=fragment, target=target, **context)


def username_or_email(customer: str) -> dict[str, str]:
    """A person as staff typed them, as keyword arguments: an address has an @ inside,
    a username at most one in front."""
    customer = customer.strip()
    return {"email": customer} if "@" in customer.lstrip("@") else {"username": customer}


def redirect_with_message(location: str, message: str) -> Response:
    """Say what was done, then go on to `location` (POST, redirect, GET)."""
    flash(message, "success")
    return redirect(location)

