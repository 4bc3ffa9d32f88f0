"""Signing in with an identity provider's account: finding, linking, unlinking.

An identity is the provider's (issuer, subject) pair, never an address: addresses change
hands, subjects do not. A first sign-in links to an existing account only when both
sides vouch for the same address (the provider says `email_verified`, and the account
confirmed it from a mailed link); otherwise it makes a new account, and whoever already
has one here signs in with their password and links the provider from their settings.
What a person is told never depends on whether some account has their address.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select

from forum import policy
from forum.accounts import email as address_mail
from forum.accounts.models import NO_PASSWORD, Identity, User
from forum.accounts.oidc import Claims, provider_name
from forum.accounts.services import check_username
from forum.database import utcnow, write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.mail.compose import mail_context
from forum.mail.queue import queue_account_mail, render_letter


@dataclass(frozen=True)
class SignIn:
    """What a provider's sign-in came to: an account (just linked, or not), or none yet."""

    user: User | None
    linked_now: bool = False


def find_identity(issuer: str, subject: str) -> Identity | None:
    return db.session.scalar(select(Identity).where(Identity.issuer == issuer,
                                                    Identity.subject == subject))


def identities_of(user: User) -> list[Identity]:
    """The provider accounts that sign in to this account, oldest first."""
    return list(db.session.scalars(select(Identity).where(Identity.user_id == user.id)
                                   .order_by(Identity.id)))


def sign_in_with(claims: Claims) -> SignIn:
    """The account these claims open: the linked one, or the one whose confirmed address
    the provider verified (linked now); SignIn(None) when a new account is to be made."""
    identity = find_identity(claims.issuer, claims.subject)
    if identity is not None:
        policy.require(identity.user, policy.Action.SIGN_IN, identity.user)
        with write_transaction():
            identity.last_used_at = utcnow()
        return SignIn(identity.user)
    owner = address_mail.owner_of(claims.email) if claims.email_verified and claims.email \
        else None
    if owner is None:
        return SignIn(None)
    policy.require(owner, policy.Action.SIGN_IN, owner)
    with write_transaction():
        _link(owner, claims)
    return SignIn(owner, linked_now=True)


def link_identity(user: User, claims: Claims) -> Identity:
    """Let this provider account sign in to `user`, who is signed in (and so proved both)."""
    identity = find_identity(claims.issuer, claims.subject)
    if identity is not None and identity.user_id == user.id:
        raise Conflict(f"That {provider_name()} account already signs you in here.")
    if identity is not None:
        raise Conflict(f"That {provider_name()} account signs in to another Cocreate account. "
                       "Unlink it there first.")
    with write_transaction():
        return _link(user, claims)


def _link(user: User, claims: Claims) -> Identity:
    """The identity row, its event, and a mail to the account's address (in the caller's
    write transaction): a new way into an account is news its owner must hear of."""
    identity = Identity(user=user, issuer=claims.issuer, subject=claims.subject,
                        email=claims.email[:254], last_used_at=utcnow())
    db.session.add(identity)
    db.session.flush()
    record(events.USER_IDENTITY_LINKED, user, user, None,
           {"issuer": claims.issuer, "provider": provider_name()})
    if user.mail_address:
        with mail_context():
            letter = render_letter("identity_linked", user=user, provider=provider_name(),
                                   provider_email=claims.email,
                                   settings_url=url_for("identities.settings",
                                                        _external=True))
        queue_account_mail(user.mail_address, letter, user)
    return identity


def create_account(claims: Claims, username: str) -> User:
    """A new account that signs in with this provider account, and has no password yet.

    The address counts as confirmed only when the provider verified it and no account
    has confirmed it; otherwise it waits for a mailed link, as at sign-up."""
    username = check_username(username)
    if find_identity(claims.issuer, claims.subject) is not None:
        raise Conflict(f"That {provider_name()} account already has an account here: "
                       "sign in with it again.")
    address = address_mail.check_email(claims.email) if claims.email else None
    confirmed = bool(address and claims.email_verified
                     and address_mail.owner_of(address) is None)
    with write_transaction():
        user = User(username=username, password_hash=NO_PASSWORD,
                    email=address if confirmed else None,
                    email_confirmed_at=utcnow() if confirmed else None,
                    pending_email=None if confirmed else address)
        db.session.add(user)
        db.session.flush()
        db.session.add(Identity(user=user, issuer=claims.issuer, subject=claims.subject,
                                email=claims.email[:254], last_used_at=utcnow()))
        if address and not confirmed:
            address_mail.ask_to_confirm(user, address, signing_up=True)
        record(events.USER_REGISTERED, user, user, None,
               {"username": user.username, "site_admin": False, "provider": provider_name()})
    return user


def unlink_identity(user: User, identity_id: int) -> None:
    """Stop a provider account from signing in here; never the account's last way in."""
    identity = own_identity(user, identity_id)
    policy.require(user, policy.Action.UNLINK_IDENTITY, identity)
    with write_transaction():
        record(events.USER_IDENTITY_UNLINKED, user, user, None,
               {"issuer": identity.issuer, "provider": provider_name()})
        db.session.delete(identity)


def own_identity(user: User, identity_id: int) -> Identity:
    """One of the person's own identities; anyone else's is not there."""
    identity = db.session.get(Identity, identity_id)
    if identity is None or identity.user_id != user.id:
        raise NotFound("That sign-in is not linked to your account.")
    return identity


def claims_to_keep(claims: Claims) -> dict[str, Any]:
    """The claims as the session keeps them while the person chooses a username."""
    return asdict(claims)


def claims_kept(kept: Any) -> Claims:
    """The claims the session kept, or a 400 when there are none (or they are not ours)."""
    try:
        return Claims(**kept)
    except TypeError:
        raise Invalid("Your sign-in has expired. Please start again.") from None
