"""Signed-in sessions kept on the server, so that signing out really ends them.

Flask-Login keeps `User.get_id()` in the session cookie and, with "keep me signed in",
in the remember-me cookie. Here that id is `<user id>:<session key>`, and the key's hash
names a row of `user_sessions`: a cookie is only good while its row is open. Signing
out, "sign out everywhere", ending one session from the settings page, a password change
and a suspension close rows, so a copy of an old cookie opens nothing.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from forum.accounts.models import User, UserSession
from forum.database import WRITE_OPTION, utcnow, write_transaction
from forum.errors import NotFound
from forum.extensions import db

log = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^([0-9]{1,18}):([A-Za-z0-9_-]{20,64})$")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, *, remember: bool) -> None:
    """Open a session row for this browser and name it on `user` before login_user."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = (current_app.config["REMEMBER_COOKIE_DURATION"] if remember
                else timedelta(days=current_app.config["SESSION_DAYS"]))
    with write_transaction():
        db.session.execute(insert(UserSession).values(
            user_id=user.id, key_hash=_hash(key), remember=remember,
            user_agent=request.user_agent.string[:300],
            ip_address=(request.remote_addr or "")[:45], created_at=now, last_seen_at=now,
            expires_at=now + lifetime))
    user.session_key = key


def load_session_user(session_id: str) -> User | None:
    """The user an open, unexpired session names; None for anything else."""
    match = _SESSION_ID.match(session_id)
    if match is None:
        return None
    user_id, key = int(match.group(1)), match.group(2)
    # What the policy asks of the viewer on most pages (staff roles, bans, invitations
    # to private spaces) comes with the user, in this one statement instead of one lazy
    # load each; a person has few of each, so the joined rows stay few. All rows are
    # read, so that each list is complete.
    rows = db.session.execute(_session_user(), {
        "user_id": user_id, "key_hash": _hash(key), "now": utcnow()}).unique().all()
    row = rows[0] if rows else None
    if row is None or row.User.is_suspended:
        return None
    user = row.User
    user.session_key = key
    _note_seen(row.id, row.last_seen_at)
    return user


@functools.cache
def _session_user() -> Select[tuple[User, int, datetime]]:
    """Built once, with bind parameters: building it (and its cache key) for every
    signed-in request cost about as much as running it."""
    return (select(User, UserSession.id, UserSession.last_seen_at)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == bindparam("user_id"),
                   UserSession.key_hash == bindparam("key_hash"),
                   UserSession.ended_at.is_(None),
                   UserSession.expires_at > bindparam("now"))
            .options(joinedload(User.memberships), joinedload(User.company_bans),
                     joinedload(User.guest_passes)))


def _note_seen(session_row_id: int, last_seen_at: datetime) -> None:
    """Keep "last seen" roughly current, writing at most once per SESSION_TOUCH_SECONDS.

    On a connection of its own, so the request's read transaction stays a reader. It
    records no event: nobody else sees it, and kept pages stay current.
    """
    now = utcnow()
    if now - last_seen_at < timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"]):
        return
    try:
        with db.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
            connection.execute(update(UserSession).where(UserSession.id == session_row_id)
                               .values(last_seen_at=now))
            connection.commit()
    except OperationalError:  # busy or read-only: the next request will try again
        log.warning("could not note when session %s was last seen", session_row_id,
                    exc_info=True)


def current_session_id(user: User) -> int | None:
    """The row id of the session `user` was loaded through."""
    if not user.session_key:
        return None
    return db.session.scalar(select(UserSession.id).where(
        UserSession.key_hash == _hash(user.session_key)))


def end_current_session(user: User) -> None:
    """Sign this browser out on the server: its cookies open nothing from now on."""
    if user.session_key:
        _end(UserSession.key_hash == _hash(user.session_key))


def end_session(user: User, session_id: int) -> UserSession:
    """End one of the person's own sessions, from the settings page."""
    found = db.session.scalar(select(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user.id,
        UserSession.ended_at.is_(None)))
    if found is None:
        raise NotFound("That session has already ended.")
    _end(UserSession.id == session_id)
    return found


def end_all_sessions(user: User, *, keep_current: bool = False) -> int:
    """Sign out everywhere (or everywhere else): the count of sessions ended."""
    condition = UserSession.user_id == user.id
    if keep_current and user.session_key:
        condition &= UserSession.key_hash != _hash(user.session_key)
    return _end(condition)


def _end(condition: ColumnElement[bool]) -> int:
    with write_transaction():
        result = db.session.execute(update(UserSession).where(
            condition, UserSession.ended_at.is_(None)).values(ended_at=utcnow()))
    return result.rowcount


@dataclass(frozen=True)
class ActiveSession:
    """One signed-in browser as the settings page lists it."""

    id: int
    device: str
    ip_address: str
    created_at: datetime
    last_seen_at: datetime
    remember: bool
    is_current: bool


def active_sessions(user: User) -> list[ActiveSession]:
    """The person's open sessions, the one in use first, then most recently seen."""
    current = _hash(user.session_key) if user.session_key else None
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.ended_at.is_(None),
                                  UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).all()
    sessions = [ActiveSession(row.id, describe_device(row.user_agent), row.ip_address,
                              row.created_at, row.last_seen_at, row.remember,
                              row.key_hash == current) for row in rows]
    return sorted(sessions, key=lambda s: not s.is_current)


_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("HeadlessChrome/", "Headless Chrome"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl")]
_SYSTEMS = [("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("CrOS", "ChromeOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"),
            ("Macintosh", "macOS"), ("Linux", "Linux")]


def describe_device(user_agent: str) -> str:
    """'Firefox on Windows', from a User-Agent header; 'Unknown device' when it says nothing."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
