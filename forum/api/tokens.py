"""Making, listing, revoking and checking API tokens.

A token is `cc_pat_<secret>` (a person's own) or `cc_co_<secret>` (a company's); only the
sha256 of the whole token is stored, and it is shown once, when it is made. A company
token acts as the person who made it, at its company only, and stops working as soon as
the policy no longer lets that person manage the company's tokens (the power to make one
is the power to keep it).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from forum import policy
from forum.accounts.models import User
from forum.api.models import ApiToken
from forum.companies.models import Company
from forum.database import WRITE_OPTION, utcnow, write_transaction
from forum.errors import Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db

log = logging.getLogger(__name__)

PERSONAL_PREFIX, COMPANY_PREFIX = "cc_pat_", "cc_co_"
SCOPES = ("read", "write", "staff")
MAX_NAME = 80
MAX_DAYS = 366
TOUCH_SECONDS = 60  # last_used_at is written at most this often


class BadToken(Exception):
    """The bearer token is unknown, revoked, expired, or its maker may no longer use it."""


@dataclass(frozen=True)
class NewToken:
    """A token just made: the secret is in `secret` now and never again."""

    token: ApiToken
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean(name: str, scopes: list[str], days: int | None) -> tuple[str, str]:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid(f"Give the token a name of at most {MAX_NAME} characters.", field="name")
    chosen = [scope for scope in SCOPES if scope in scopes]
    if not chosen or len(chosen) != len(set(scopes)):
        raise Invalid("Choose what the token may do: read, write or staff.", field="scopes")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise Invalid(f"A token lasts from 1 to {MAX_DAYS} days, or until revoked.",
                      field="days")
    return name, " ".join(chosen)


def _make(user: User, company: Company | None, name: str, scopes: list[str],
          days: int | None) -> NewToken:
    name, scope_text = _clean(name, scopes, days)
    secret = (COMPANY_PREFIX if company else PERSONAL_PREFIX) + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(secret_hash=_hash(secret), hint=secret[:12], name=name, scopes=scope_text,
                     user_id=user.id, company_id=company.id if company else None,
                     created_at=now, expires_at=now + timedelta(days=days) if days else None)
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def create_personal_token(user: User, name: str, scopes: list[str],
                          days: int | None = None) -> NewToken:
    """A token that acts as `user` wherever they may act."""
    policy.require(user, policy.Action.EDIT_PROFILE, user)
    with write_transaction():
        return _make(user, None, name, scopes, days)


def create_company_token(actor: User, company: Company, name: str, scopes: list[str],
                         days: int | None = None) -> NewToken:
    """A token that acts as `actor` at `company` only, while they may manage its tokens."""
    policy.require(actor, policy.Action.MANAGE_API_TOKENS, company)
    with write_transaction():
        made = _make(actor, company, name, scopes, days)
        record(events.API_TOKEN_CREATED, actor, made.token, company,
               {"name": made.token.name, "scopes": made.token.scopes})
    return made


def personal_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.company_id.is_(None))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def company_tokens(company: Company) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.company_id == company.id)
        .options(joinedload(ApiToken.user))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def revoke_personal_token(user: User, token_id: int) -> ApiToken:
    """The person revokes one of their own tokens; revoking twice changes nothing."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.company_id is not None:
        raise NotFound("You have no such token.")
    with write_transaction():
        token.revoked_at = token.revoked_at or utcnow()
    return token


def revoke_company_token(actor: User, company: Company, token_id: int) -> ApiToken:
    """An owner revokes one of the company's tokens, whoever made it."""
    policy.require(actor, policy.Action.MANAGE_API_TOKENS, company)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.company_id != company.id:
        raise NotFound("The company has no such token.")
    if token.revoked_at is None:
        with write_transaction():
            token.revoked_at = utcnow()
            record(events.API_TOKEN_REVOKED, actor, token, company, {"name": token.name})
    return token


def authenticate(secret: str) -> ApiToken:
    """The live token `secret` names, with its person loaded; BadToken with why, else."""
    if not secret.startswith((PERSONAL_PREFIX, COMPANY_PREFIX)) or len(secret) > 100:
        raise BadToken("That is not a Cocreate API token.")
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == _hash(secret))
                              .options(joinedload(ApiToken.user), joinedload(ApiToken.company)))
    if token is None:
        raise BadToken("That token is not known.")
    if token.revoked_at is not None:
        raise BadToken("That token was revoked.")
    if token.is_expired:
        raise BadToken("That token has expired.")
    if token.user.is_suspended:
        raise BadToken("The account of that token is suspended.")
    if token.company is not None:
        # The power to make a company token is the power to keep using it.
        allowed = policy.can(token.user, policy.Action.MANAGE_API_TOKENS, token.company)
        if not allowed:
            raise BadToken("The person who made that token may no longer use it: "
                           f"{allowed.reason}")
    _note_used(token)
    return token


def _note_used(token: ApiToken) -> None:
    """Keep last_used_at roughly current, at most once a minute, on a connection of its
    own (the request's transaction stays a reader); a busy database skips it."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < timedelta(
            seconds=current_app.config.get("API_TOKEN_TOUCH_SECONDS", TOUCH_SECONDS)):
        return
    try:
        with db.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection:
            connection.execute(update(ApiToken).where(ApiToken.id == token.id)
                               .values(last_used_at=now))
            connection.commit()
    except OperationalError:
        log.warning("could not note when API token %s was last used", token.id, exc_info=True)
