"""What visitors without an account see, kept by each process until anything changes.

A signed-in person always gets a page rendered for them. Everyone signed out sees the
same page at the same URL, so each worker keeps that page with the site's content
version, read from the database before rendering. Every transaction that writes bumps
the version as its last statement, atomically with what it wrote: the next request in
any process reads a new version and renders again, so nobody is shown a page older than
the last commit. Pages also expire after PAGE_CACHE_SECONDS, because they say "5 minutes
ago". Each carries an ETag, so a browser revalidating gets a 304 without the body.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from forum.database import PRIVATE_WRITE
from forum.extensions import db
from forum.pagecache.models import SITE, ContentVersion

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_WROTE = "cocreate_wrote"  # on a connection: this transaction changed something
_CONNECTIONS = "cocreate_connections"  # on a session: the connections it uses
_HEADER = "X-Page-Cache"
_UNKEYED_HEADERS = {"hx-current-url"}  # the page a fragment is asked from: not its content


@dataclass(frozen=True)
class Entry:
    version: int
    stored_at: float
    body: bytes
    etag: str  # unquoted
    content_type: str


class PageCache:
    """A thread-safe LRU of rendered pages, bounded by the bytes it holds."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, version: int, max_age: float) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or time.monotonic() - entry.stored_at >= max_age:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 8:
            return  # one huge page must not push out everything else
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.size += len(entry.body)
            while self.size > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        self.size -= len(self._entries.pop(key).body)


def configure_page_cache(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_BYTES"])
    with app.app_context():
        _track_writes(db.engine)


_READ_VERSION = select(ContentVersion.__table__.c.version).where(
    ContentVersion.__table__.c.id == SITE)


def current_version() -> int:
    """The site's content version; 0 until the first write creates the row.

    Read on a pooled connection of its own, outside the request's session: on a hit this
    is the request's only statement, and going through the session (ORM execution, its
    transaction, its teardown) cost twice as much as the rest of the hit. If the page is
    rendered, the view's session begins after this read, so what it shows is never older
    than the version it is kept under. A session that has already begun (a cookie of an
    account that is gone was looked up) gives the version of the snapshot it reads.
    """
    session = db.session()
    if session.in_transaction():
        return session.scalar(_READ_VERSION) or 0
    with db.engine.connect() as connection:
        row = connection.execute(_READ_VERSION).first()
    return row[0] if row else 0


def cached_for_visitors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve signed-out visitors this view's page from the cache while it is current."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        max_age = current_app.config["PAGE_CACHE_SECONDS"]
        if max_age <= 0 or not _shared_page_request():
            return view(*args, **kwargs)
        cache: PageCache = current_app.extensions["page_cache"]
        key, version = _key(), current_version()
        entry = cache.get(key, version, max_age)
        if entry is not None:
            return _respond(entry, "hit")
        response = current_app.make_response(view(*args, **kwargs))
        if not _shareable(response):
            return response
        body = response.get_data()
        entry = Entry(version, time.monotonic(), body,
                      hashlib.blake2b(body, digest_size=12).hexdigest(), response.content_type)
        cache.put(key, entry)
        return _respond(entry, "miss")

    return wrapper


def _shared_page_request() -> bool:
    """A read by someone signed out with no message waiting: the page everyone gets."""
    return (request.method in ("GET", "HEAD") and not current_user.is_authenticated
            and "_flashes" not in session)


def _key() -> tuple:
    htmx_headers = tuple(sorted(
        (name.lower(), value) for name, value in request.headers.items()
        if name.lower().startswith("hx-") and name.lower() not in _UNKEYED_HEADERS))
    return request.url, htmx_headers


def _shareable(response: Response) -> bool:
    """Only a plain HTML page that holds nothing of this visitor's session."""
    return (response.status_code == 200 and response.mimetype == "text/html"
            and not response.is_streamed and "Set-Cookie" not in response.headers
            and not session.modified
            and current_app.config["WTF_CSRF_FIELD_NAME"] not in g)  # no token was made


def _respond(entry: Entry, outcome: str) -> Response:
    response = current_app.response_class(entry.body, content_type=entry.content_type)
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = "no-cache"  # browsers keep it but ask each time
    response.headers[_HEADER] = outcome
    response.vary.add("Cookie")
    return response.make_conditional(request)


# --- the content version: bumped last by every transaction that wrote ---------------


def _track_writes(engine: Engine) -> None:
    if event.contains(engine, "before_cursor_execute", _note_write):
        return
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _forget_write)
    event.listen(engine, "rollback", _forget_write)
    event.listen(engine.pool, "checkin", _forget_write_on_checkin)


def _note_write(connection: Connection, _cursor: Any, statement: str, _parameters: Any,
                context: Any, _executemany: bool) -> None:
    # PRIVATE_WRITE, on the statement or its connection: nothing a visitor sees changed.
    if _WRITE.match(statement) and not context.execution_options.get(PRIVATE_WRITE):
        connection.info[_WROTE] = True


def _forget_write(connection: Connection) -> None:
    if not connection.invalidated:  # a lost connection has no info, and wrote nothing
        connection.info.pop(_WROTE, None)


def _forget_write_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info.pop(_WROTE, None)


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, _transaction: SessionTransaction,
                         connection: Connection) -> None:
    session.info.setdefault(_CONNECTIONS, []).append(connection)


@event.listens_for(Session, "after_transaction_end")
def _forget_connections(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTIONS, None)


@event.listens_for(Session, "before_commit")
def _bump_if_written(session: Session) -> None:
    # Flush first, so the version row is the last lock a writer takes and two writers
    # never wait on each other in opposite orders.
    session.flush()
    for connection in session.info.get(_CONNECTIONS, []):
        if connection.info.get(_WROTE):
            connection.execute(_bump(connection.dialect.name))


@functools.cache  # built once per dialect: it runs in every writing transaction
def _bump(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(ContentVersion).values(id=SITE, version=1).on_conflict_do_update(
        index_elements=[ContentVersion.id], set_={"version": ContentVersion.version + 1})
