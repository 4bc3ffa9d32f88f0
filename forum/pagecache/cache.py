"""What visitors without an account see, kept by each process until it may have changed.

A signed-in person always gets a page rendered for them. Everyone signed out sees the
same page at the same URL, so each worker keeps that page with the versions of what it
shows: a thread page depends on its thread, a company's pages (board, forum, roadmap) on
the company, and every page on the site as a whole. A service that changes something
people see records an event (forum/events), which names its company and thread; the
transaction bumps those scopes' versions as its last statement, atomically with the
change, so the next request in any process renders again, and only the pages that write
could have changed. A vote at one company leaves every other company's pages kept.
Pages that span every company (the start page, cross-company lists, profiles) are kept for
PLATFORM_PAGE_SECONDS; every page expires after PAGE_CACHE_SECONDS, because pages say
"5 minutes ago". Each carries an ETag, so a browser revalidating gets a 304.

While the database is down the versions cannot be read: a visitor then gets the page
kept before, if it is younger than PAGE_CACHE_STALE_SECONDS, instead of a 503.

With PAGE_CACHE_URL (Redis), what one worker renders is kept for every worker of every
node too (pagecache.shared): a worker that does not hold a page looks there first.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from forum.companies.models import Company
from forum.database import is_database_fault, write_transaction
from forum.extensions import db
from forum.lru import SizedLRU
from forum.pagecache.models import ContentVersion
from forum.pagecache.shared import SharedPages

SITE = "site"
_CHANGED = "cocreate_changed_scopes"  # on a session: scopes this transaction changed
_HEADER = "X-Page-Cache"
_LOOKUP = "cocreate_kept_page"  # on g: this request's lookup, done once
_UNKEYED_HEADERS = {"hx-current-url"}  # the page a fragment is asked from: not its content


Versions = tuple[int, ...]


def company_scope(company_id: int) -> str:
    return f"company:{company_id}"


def thread_scope(thread_id: int) -> str:
    return f"thread:{thread_id}"


@dataclass(frozen=True)
class Entry:
    version: Versions
    stored_at: float  # epoch seconds: comparable between processes sharing pages
    body: bytes
    etag: str  # unquoted
    content_type: str


class PageCache(SizedLRU[Entry]):
    """Rendered pages, bounded by the bytes they hold."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, lambda entry: len(entry.body))

    def get(self, key: tuple, version: Versions, max_age: float) -> Entry | None:
        return self.find(key, lambda entry: _current(entry, version, max_age))

    def get_kept(self, key: tuple, max_age: float) -> Entry | None:
        """The page kept at `key`, whatever its version, unless older than `max_age`:
        for when the versions cannot be read."""
        entry = self.peek(key)
        if entry is None or time.time() - entry.stored_at >= max_age:
            return None
        return entry


def configure_page_cache(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_BYTES"])
    app.extensions["page_cache_companies"] = {}  # slug -> id: slugs never change
    url = app.config["PAGE_CACHE_URL"]
    app.extensions["shared_pages"] = SharedPages(
        url, app.config["SQLALCHEMY_DATABASE_URI"]) if url else None


def _current(entry: Entry, version: Versions, max_age: float) -> bool:
    return entry.version == version and time.time() - entry.stored_at < max_age


def current_versions(scopes: tuple[str, ...]) -> Versions:
    """The versions of these scopes, in order; 0 for a scope never written.

    Read on a pooled connection of its own, outside the request's session: on a hit this
    is the request's only statement, and going through the session (ORM execution, its
    transaction, its teardown) cost twice as much as the rest of the hit. If the page is
    rendered, the view's session begins after this read, so what it shows is never older
    than the versions it is kept under. A session that has already begun (a cookie of an
    account that is gone was looked up) gives the versions of the snapshot it reads.
    """
    statement, values = _versions(), {"scopes": list(scopes)}
    session = db.session()
    if session.in_transaction():
        found = {scope: version for scope, version in session.execute(statement, values)}
    else:
        with db.engine.connect() as connection:
            found = {scope: version for scope, version
                     in connection.execute(statement, values)}
    return tuple(found.get(scope, 0) for scope in scopes)


@functools.cache  # built once: every signed-out request reads the versions
def _versions() -> Select[tuple[str, int]]:
    return select(ContentVersion.scope, ContentVersion.version).where(
        ContentVersion.scope.in_(bindparam("scopes", expanding=True)))


def site_version() -> int:
    """The version every kept page depends on; 0 where there is no table to read it from
    (a database being restored into may not even have the schema)."""
    try:
        return current_versions((SITE,))[0]
    except SQLAlchemyError:
        db.session.rollback()
        return 0


def outdate_every_page(seen: int) -> None:
    """After a restore, where versions went back to the backup's: every page kept by any
    process is stale from now on. The site's version is set above the highest it had
    (`seen`, read before the restore) and only grows from there, so no kept page's
    versions come round again. This process's cache and slugs are dropped too."""
    with write_transaction() as session:
        restored = session.scalar(
            select(ContentVersion.version).where(ContentVersion.scope == SITE)) or 0
        session.execute(_set(session.get_bind().dialect.name),
                        {"scope": SITE, "version": max(restored, seen) + 1})
    current_app.extensions["page_cache"].clear()
    current_app.extensions["page_cache_companies"].clear()
    if (shared := current_app.extensions["shared_pages"]) is not None:
        shared.clear()


def _page_scopes(view_args: dict[str, Any]) -> tuple[str, ...] | None:
    """What a page at these URL arguments shows: its thread's, else its company's
    content (plus the site's), or None for a page that spans every company."""
    if (thread_id := view_args.get("thread_id")) is not None:
        return SITE, thread_scope(thread_id)
    if (slug := view_args.get("slug")) is not None:
        company_id = _company_id(str(slug))
        return (SITE, company_scope(company_id)) if company_id is not None else (SITE,)
    return None


def _company_id(slug: str) -> int | None:
    known: dict[str, int] = current_app.extensions["page_cache_companies"]
    if slug not in known:
        with db.engine.connect() as connection:
            found = connection.execute(
                select(Company.id).where(Company.slug == slug.lower())).scalar()
        if found is None:
            return None  # the view answers 404; nothing to remember
        known[slug] = found
    return known[slug]


def cached_for_visitors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve signed-out visitors this view's page from the cache while it is current
    (and, while the database is down, as it was kept)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        found = _lookup()
        if found is None:
            return view(*args, **kwargs)
        key, version, entry, outcome, max_age = found
        if entry is not None:
            return _respond(entry, outcome)
        assert version is not None  # only a stale page is found without versions
        response = current_app.make_response(view(*args, **kwargs))
        if not _shareable(response):
            return response
        body = response.get_data()
        entry = Entry(version, time.time(), body,
                      hashlib.blake2b(body, digest_size=12).hexdigest(), response.content_type)
        current_app.extensions["page_cache"].put(key, entry)
        if (shared := current_app.extensions["shared_pages"]) is not None:
            shared.put(key, entry.version, entry.stored_at, entry.body, entry.etag,
                       entry.content_type, max_age)
        return _respond(entry, "miss")

    wrapper.kept_for_visitors = True  # type: ignore[attr-defined]
    return wrapper


def kept_page() -> Entry | None:
    """The kept page this request will be answered with, if any (for a view that keeps
    pages); looked up once per request, so asking before the view costs nothing."""
    found = _lookup()
    return found[2] if found is not None else None


# (key, versions, the entry to answer with or None, "hit" or "stale", how long the page
# may be kept); versions are None when the database is down and a page kept before is
# answered "stale".
_Found = tuple[tuple, Versions | None, Entry | None, str, float]


def _lookup() -> _Found | None:
    """What the cache holds for a page everyone gets: the current entry, or while the
    database is down the page as it was kept; None when this request's page is not kept
    (signed in, a POST, caching off)."""
    if _LOOKUP in g:
        return g.get(_LOOKUP)
    config = current_app.config
    max_age = config["PAGE_CACHE_SECONDS"]
    found: _Found | None = None
    if max_age > 0 and _shared_page_request():
        cache: PageCache = current_app.extensions["page_cache"]
        key = _key()
        try:
            scopes = _page_scopes(request.view_args or {})
            if scopes is None:
                scopes, max_age = (SITE,), min(max_age, config["PLATFORM_PAGE_SECONDS"])
            version = current_versions(scopes)
        except SQLAlchemyError as error:
            # The database is down: a visitor is better served the page as it was a
            # while ago than a 503. Only pages kept before the fault are there to give.
            kept = cache.get_kept(key, config["PAGE_CACHE_STALE_SECONDS"])
            if kept is None or not is_database_fault(error):
                raise
            found = key, None, kept, "stale", max_age
        else:
            entry = cache.get(key, version, max_age) or _shared_entry(key, version, max_age)
            found = key, version, entry, "hit", max_age
    setattr(g, _LOOKUP, found)
    return found


def _shared_entry(key: tuple, version: Versions, max_age: float) -> Entry | None:
    """The page another worker (of any node) kept at `key`, if it is current; kept here
    too from now on."""
    shared: SharedPages | None = current_app.extensions["shared_pages"]
    stored = shared.get(key) if shared is not None else None
    if stored is None:
        return None
    entry = Entry(*stored)
    if not _current(entry, version, max_age):
        return None
    current_app.extensions["page_cache"].put(key, entry)
    return entry


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


# --- the versions: bumped last by every transaction that recorded a change -----------


def mark_changed(company_id: int | None, thread_ids: set[int], *,
                 everywhere: bool = False) -> None:
    """Note, in the current transaction, which kept pages its change makes stale.

    Called by `forum.events.log.record`: a change at a company makes that company's
    pages stale, a change in a thread that thread's page, and a change that shows
    everywhere (a person's or a company's name) every page. Anything else (a new
    account, a password) is on no kept page.
    """
    scopes = db.session().info.setdefault(_CHANGED, set())
    if everywhere:
        scopes.add(SITE)
    if company_id is not None:
        scopes.add(company_scope(company_id))
    scopes.update(thread_scope(thread_id) for thread_id in thread_ids)


@event.listens_for(Session, "before_commit")
def _bump_changed(session: Session) -> None:
    scopes = session.info.pop(_CHANGED, None)
    if not scopes:
        return
    # Flush first, so the versions are the last locks a writer takes; bump them in one
    # sorted statement, so two writers never wait on each other in opposite orders.
    session.flush()
    session.execute(_bump(session.get_bind().dialect.name),
                    [{"scope": scope, "version": 1} for scope in sorted(scopes)])


@event.listens_for(Session, "after_transaction_end")
def _forget_changed(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)  # rolled back: nothing changed after all


@functools.cache  # built once per dialect: it runs in every writing transaction
def _bump(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(ContentVersion)
    return statement.on_conflict_do_update(
        index_elements=[ContentVersion.scope],
        set_={"version": ContentVersion.version + 1})


def _set(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(ContentVersion)
    return statement.on_conflict_do_update(
        index_elements=[ContentVersion.scope], set_={"version": statement.excluded.version})
