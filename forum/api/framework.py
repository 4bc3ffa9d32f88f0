"""Declaring API routes: one declaration validates the request and documents the route.

`@endpoint(bp, "/companies/<slug>/threads", "GET", summary=..., query=..., response=...)`
adds a route whose view gets its checked `query` and `body` and returns what to send as
JSON. The same `Spec` is what forum.api.openapi turns into the route's part of the
OpenAPI document, so the document cannot drift from what the route accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, current_app, g, json, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from itsdangerous import BadData, URLSafeSerializer
from jsonschema import Draft202012Validator
from sqlalchemy import ColumnElement, DateTime, Select, and_, or_

from forum.accounts.models import User
from forum.api import tokens
from forum.api.problems import API_PREFIX, problem
from forum.companies.access import visible_company
from forum.companies.models import Company
from forum.extensions import csrf, db, limiter
from forum.routing import MAX_ID, NUL_MESSAGE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_TYPES = ("application/json",)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
Schema = dict[str, Any]


@dataclass(frozen=True)
class Spec:
    """What one route takes and answers, for checking requests and for the document."""

    name: str  # the operationId: blueprint.view
    rule: str
    method: str
    summary: str
    tag: str
    description: str = ""
    scope: str = "read"  # what a token needs: read, write or staff
    signed_in: bool = False  # visitors get a 401
    query: Mapping[str, Schema] = field(default_factory=dict)
    body: Schema | None = None
    status: int = 200
    # None: no content (204); a function: the schema depends on the app's plug-ins.
    response: Schema | Callable[[], Schema] | None = None
    media_type: str = "application/json"
    errors: tuple[int, ...] = ()  # beyond those every route may answer


class ApiBlueprint(Blueprint):
    """A blueprint under /api/v1 whose paths each get one URL rule for all their methods,
    so that an id no column holds is a 404 whatever the method (two rules on one path
    answered 405 for it). configure_api exempts it from the form CSRF check: its routes
    check CSRF themselves, for sessions only."""

    def __init__(self, name: str, import_name: str) -> None:
        super().__init__(name, import_name, url_prefix=API_PREFIX)
        self.operations: dict[str, dict[str, Callable[..., Response]]] = {}
        self.record(self._add_rules)

    def _add_rules(self, state: BlueprintSetupState) -> None:
        for rule, views in self.operations.items():
            first = next(iter(views.values()))
            state.add_url_rule(rule, endpoint=first.__name__, view_func=_dispatcher(views),
                               methods=list(views))


def _dispatcher(views: dict[str, Callable[..., Response]]) -> Callable[..., Response]:
    def dispatch(**path: Any) -> Response:
        return views["GET" if request.method == "HEAD" else request.method](**path)

    first = next(iter(views.values()))
    dispatch.__name__ = first.__name__
    dispatch.api_specs = {method: view.api_spec  # type: ignore[attr-defined]
                          for method, view in views.items()}
    return dispatch


def api_blueprint(name: str, import_name: str) -> ApiBlueprint:
    return ApiBlueprint(name, import_name)


def endpoint(bp: ApiBlueprint, rule: str, method: str, **declared: Any) -> Callable:
    """Add the decorated view to `bp` as an API operation described by a Spec."""

    def register(view: Callable[..., Any]) -> Callable[..., Response]:
        spec = Spec(name=f"{bp.name}.{view.__name__}", rule=rule, method=method, **declared)

        @wraps(view)
        def run(**path: Any) -> Response:
            authenticate(spec)
            extra: dict[str, Any] = {}
            if spec.query:
                extra["query"] = parse_query(spec.query)
            if spec.body is not None:
                extra["body"] = parse_body(spec.body)
            return respond(spec, view(**path, **extra))

        limited = limiter.limit(_rate_limit, key_func=_rate_key)(run)
        limited.api_spec = spec  # type: ignore[attr-defined]
        bp.operations.setdefault(rule, {})[method] = limited
        return limited

    return register


def _rate_limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


def _rate_key() -> str:
    token = g.get("api_token")
    if token is not None:
        return f"api-token:{token.id}"
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return f"api-ip:{request.remote_addr}"


def fail(status: int, detail: str, field: str | None = None,
         headers: Mapping[str, str] | None = None) -> NoReturn:
    """Stop the request with a problem answer."""
    errors = [{"field": field, "message": detail}] if field else []
    abort(problem(status, detail, errors=errors, headers=headers))


# Who is asking


def authenticate(spec: Spec) -> None:
    """A bearer token names the person (no cookie read or written, no CSRF); a session
    from this site must send its CSRF token to write."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="cocreate", error="invalid_token"'}
        if scheme.lower() != "bearer" or not secret.strip():
            fail(401, "Send a token as 'Authorization: Bearer <token>'.", headers=challenge)
        try:
            token = tokens.authenticate(secret.strip())
        except tokens.BadToken as refused:
            fail(401, str(refused), headers=challenge)
        g.api_token = token
        g._login_user = token.user  # flask-login's current user, for this request only
        require_scope(spec.scope)
        if token.company_id is not None and "slug" not in (request.view_args or {}) \
                and spec.rule != "/me":
            fail(403, "A company token works only at its company's addresses.")
    elif request.method not in SAFE_METHODS:
        csrf.protect()
    if spec.signed_in and not current_user.is_authenticated:
        fail(401, "Sign in, or send a token as 'Authorization: Bearer <token>'.",
             headers={"WWW-Authenticate": 'Bearer realm="cocreate"'})


def require_scope(scope: str) -> None:
    """A 403 unless the request's token (if it has one) may `scope`."""
    token = g.get("api_token")
    if token is not None and scope not in token.scope_set:
        fail(403, f"This token may not {scope}: its scopes are {token.scopes}.")


def acting_user() -> User:
    """The signed-in person or the token's (routes declared `signed_in=True`)."""
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


def company_at(slug: str) -> Company:
    """The company in the path, if the caller may see it (else 404 as for none) and, with
    a company token, if it is the token's own."""
    company = visible_company(current_user, slug)
    token = g.get("api_token")
    if token is not None and token.company_id not in (None, company.id):
        fail(403, "This token belongs to another company and acts only there.")
    return company


# What they sent


def _field(path: Any) -> str:
    return ".".join(str(part) for part in path) or "body"


def parse_query(declared: Mapping[str, Schema]) -> dict[str, Any]:
    """The declared query parameters, typed and checked; others are ignored."""
    values: dict[str, Any] = {}
    for name, schema in declared.items():
        raw = request.args.get(name)
        if raw is None:
            continue
        value: Any = raw
        if schema.get("type") == "integer":
            if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_ID)):
                fail(400, f"'{name}' must be a whole number.", name)
            value = int(raw)
        for error in Draft202012Validator(schema).iter_errors(value):
            fail(400, f"'{name}': {error.message}", name)
        values[name] = value
    return values


def parse_body(schema: Schema) -> dict[str, Any]:
    """The JSON object in the body, checked against its schema: 415 for another media
    type, 400 naming the field for anything malformed (413 comes from MAX_CONTENT_LENGTH)."""
    if request.mimetype not in JSON_TYPES:
        fail(415, "Send the body as application/json.")
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError):
        fail(400, "The body is not valid JSON.", "body")
    if "\\u0000" in request.get_data(as_text=True):
        fail(400, NUL_MESSAGE, "body")  # no database keeps a NUL in text
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        abort(problem(400, "The body does not match what this route takes.",
                      errors=[{"field": _field(error.path), "message": error.message}
                              for error in errors[:20]]))
    return data  # type: ignore[no-any-return]


# What they get


def respond(spec: Spec, result: Any) -> Response:
    """JSON with the declared status; GET answers carry an ETag and honour
    If-None-Match."""
    if isinstance(result, Response):
        return result
    if spec.response is None:
        return Response(status=spec.status)
    response = Response(json.dumps(result, sort_keys=True), status=spec.status,
                        mimetype=spec.media_type)
    if request.method == "GET":
        response.add_etag()
        response.make_conditional(request)
    return response


# Cursors: opaque, signed, naming the last row's (sort key, id)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cocreate.api.cursor")


def page_query(**filters: Schema) -> dict[str, Schema]:
    """The query parameters of a list: its filters, `cursor` and `limit`."""
    return {**filters, "cursor": {"type": "string", "maxLength": 500,
                                  "description": "From the previous page's next_cursor."},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                      "default": DEFAULT_LIMIT}}


def page_of(item: Schema, title: str) -> Schema:
    return {"title": title, "type": "object", "required": ["items", "next_cursor"],
            "additionalProperties": False,
            "properties": {"items": {"type": "array", "items": item},
                           "next_cursor": {"type": ["string", "null"]}}}


def keyset_page(statement: Select, key: ColumnElement[Any], row_id: ColumnElement[int],
                query: Mapping[str, Any], *, tag: str, descending: bool = True,
                key_of: Callable[[Any], tuple[Any, int]]) -> tuple[list[Any], str | None]:
    """One page of `statement` in (key, id) order after the cursor in `query`, and the
    cursor of the next page (None at the end). `tag` names the list and its order, so a
    cursor of one list is refused by another."""
    limit = query.get("limit", DEFAULT_LIMIT)
    if "cursor" in query:
        value, last_id = _decode(query["cursor"], tag, key)
        beyond = (key < value) if descending else (key > value)
        after = (row_id < last_id) if descending else (row_id > last_id)
        statement = statement.where(or_(beyond, and_(key == value, after)))
    order = (key.desc(), row_id.desc()) if descending else (key.asc(), row_id.asc())
    rows = list(db.session.scalars(statement.order_by(*order).limit(limit + 1)).unique())
    if len(rows) <= limit:
        return rows, None
    value, last_id = key_of(rows[limit - 1])
    if isinstance(value, datetime):
        value = value.isoformat()
    return rows[:limit], make_cursor(tag, value, last_id)


def make_cursor(tag: str, *values: Any) -> str:
    """An opaque, signed cursor for the list `tag`, naming where the next page starts."""
    return _serializer().dumps([tag, *values])


def read_cursor(query: Mapping[str, Any], tag: str, count: int) -> list[Any] | None:
    """The `count` values of the cursor in `query` (None when there is none); 400 for
    one this list did not give."""
    if "cursor" not in query:
        return None
    try:
        found = _serializer().loads(query["cursor"])
        if not isinstance(found, list) or len(found) != count + 1 or found[0] != tag:
            raise ValueError(tag)
    except (BadData, ValueError):
        _bad_cursor()
    return found[1:]


def _bad_cursor() -> NoReturn:
    fail(400, "That cursor is not one this list gave (or the list's order changed).",
         "cursor")


def _decode(cursor: str, tag: str, key: ColumnElement[Any]) -> tuple[Any, int]:
    value, last_id = read_cursor({"cursor": cursor}, tag, 2) or ()
    try:
        if not isinstance(last_id, int):
            raise ValueError(last_id)
        if isinstance(key.type, DateTime):
            value = datetime.fromisoformat(value)
        elif not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(value)
    except (ValueError, TypeError):
        _bad_cursor()
    return value, last_id


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


DATE = {"type": "string", "format": "date-time"}
MAYBE_DATE = {"type": ["string", "null"], "format": "date-time"}
