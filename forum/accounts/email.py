"""An account's address: confirming it, changing it, and a forgotten password.

Mail goes only to a confirmed address (User.email, unique). An address not yet
confirmed waits in pending_email, which any number of accounts may name, so nobody can
hold someone else's address by naming it first. Nothing here ever tells the person who
asks whether an address belongs to an account: every request is answered alike, and the
address's owner is told by mail instead.
"""

from __future__ import annotations

import hashlib
import re

from flask import current_app, url_for
from sqlalchemy import func, select

from forum.accounts import sessions
from forum.accounts.models import User
from forum.accounts.passwords import check_new_password, hash_password, verify_password
from forum.database import utcnow, write_transaction
from forum.errors import Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.mail import tokens
from forum.mail.compose import mail_context
from forum.mail.queue import queue_account_mail, render_letter

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
RESET_MATCHES = 3  # accounts told of one reset request, at most


def check_email(email: str, field: str = "email") -> str:
    """An address's shape (whether it is anyone's is never said)."""
    email = email.strip()
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise Invalid("Enter an email address like name@example.com.", field=field)
    return email


def owner_of(address: str) -> User | None:
    """The account that has confirmed this address, whatever its case."""
    return db.session.scalar(select(User).where(func.lower(User.email) == address.lower()))


def _hours(setting: str) -> float:
    return float(current_app.config[setting])


def ask_to_confirm(user: User, address: str, *, signing_up: bool = False) -> None:
    """Mail `address` a link that confirms it for `user`, or, when another account has
    confirmed it already, tell its owner that someone tried (inside the caller's write
    transaction)."""
    owner = owner_of(address)
    with mail_context():
        if owner is not None and owner.id != user.id:
            letter = render_letter("address_in_use", owner=owner, signing_up=signing_up,
                                   forgot_url=url_for("accounts.forgot_password",
                                                      _external=True))
            queue_account_mail(address, letter, owner)
            return
        token = tokens.sign(tokens.CONFIRM_EMAIL, [user.id, address.lower()])
        letter = render_letter("confirm_email", user=user, signing_up=signing_up,
                               hours=int(_hours("CONFIRM_EMAIL_HOURS")),
                               link=url_for("accounts.confirm_email", token=token,
                                            _external=True))
        queue_account_mail(address, letter, user)


def resend_confirmation(user: User) -> str:
    """Mail the link again to the address waiting to be confirmed."""
    if not user.pending_email:
        raise Invalid("There is no address waiting to be confirmed.")
    with write_transaction():
        ask_to_confirm(user, user.pending_email)
    return user.pending_email


def change_email(user: User, address: str, password: str) -> str:
    """Ask to use a new address: it becomes the account's once confirmed from a link
    mailed to it, and the old address is told. Answered alike whether or not the new
    address belongs to someone."""
    if not verify_password(user.password_hash, password):
        raise Invalid("Your password is not right.", field="password")
    address = check_email(address)
    if user.email and user.email.lower() == address.lower():
        raise Invalid("That is your address already.", field="email")
    with write_transaction():
        user.pending_email = address
        ask_to_confirm(user, address)
    return address


def confirm_email(token: str) -> User:
    """Confirm the address a link was mailed to; the old one, if any, is told."""
    payload = tokens.read(tokens.CONFIRM_EMAIL, token, _hours("CONFIRM_EMAIL_HOURS") * 3600)
    if not (isinstance(payload, list) and len(payload) == 2):
        raise Invalid("This link is not valid. Copy the whole link from the mail.")
    user = db.session.get(User, payload[0]) if isinstance(payload[0], int) else None
    address = str(payload[1])
    if user is not None and user.email and user.email.lower() == address:
        return user  # confirmed already: the link was opened twice
    if user is None or (user.pending_email or "").lower() != address:
        raise Invalid("This link is for an address this account no longer asks for. "
                      "Ask for a new link in your email settings.")
    owner = owner_of(address)
    if owner is not None and owner.id != user.id:
        raise Invalid("Another account has confirmed this address since the link was sent.")
    with write_transaction():
        confirm_address(user, user.pending_email)
    return user


def confirm_address(user: User, address: str) -> None:
    """The address is the account's now (inside the caller's write transaction, once a
    link mailed to it proved it); a different old address is told."""
    old = user.email
    user.email, user.pending_email = address, None
    user.email_confirmed_at, user.mail_bounced_at = utcnow(), None
    record(events.USER_EMAIL_CONFIRMED, user, user, None, {"changed": old is not None})
    if old and old.lower() != address.lower():
        with mail_context():
            letter = render_letter("email_changed", user=user, new_address=address,
                                   forgot_url=url_for("accounts.forgot_password",
                                                      _external=True))
        queue_account_mail(old, letter, user)


def _fingerprint(user: User) -> str:
    """Changes with the password: a reset link works once, and not after any change."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def request_password_reset(address: str) -> None:
    """Mail a single-use link to choose a new password to the accounts at this address
    (its confirmed owner, else accounts still waiting to confirm it). Nothing is said
    about whether there were any."""
    address = check_email(address)
    owner = owner_of(address)
    accounts = [owner] if owner is not None else list(db.session.scalars(
        select(User).where(func.lower(User.pending_email) == address.lower())
        .order_by(User.id).limit(RESET_MATCHES)))
    if not accounts:
        return
    with write_transaction(), mail_context():
        for user in accounts:
            token = tokens.sign(tokens.RESET_PASSWORD,
                                [user.id, _fingerprint(user), address.lower()])
            letter = render_letter("reset_password", user=user,
                                   hours=_hours("RESET_PASSWORD_HOURS"),
                                   link=url_for("accounts.reset_password", token=token,
                                                _external=True))
            queue_account_mail(address, letter, user)


def reset_link(token: str) -> tuple[User, str]:
    """The account a reset link opens and the address it was mailed to, or a 400."""
    payload = tokens.read(tokens.RESET_PASSWORD, token,
                          _hours("RESET_PASSWORD_HOURS") * 3600)
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], int)):
        raise Invalid("This link is not valid. Copy the whole link from the mail.")
    user = db.session.get(User, payload[0])
    if user is None or payload[1] != _fingerprint(user):
        raise Invalid("This link has been used, or the password was changed since it was "
                      "sent. Ask for a new one.")
    return user, str(payload[2])


def reset_password(token: str, password: str) -> User:
    """Set the new password, end every session, and (the link proving it) confirm the
    address it was mailed to if the account was waiting for that."""
    user, address = reset_link(token)
    check_new_password(password)
    with write_transaction():
        user.password_hash = hash_password(password)
        sessions.end_all_sessions(user)
        if (user.pending_email or "").lower() == address and owner_of(address) is None:
            confirm_address(user, user.pending_email or address)
        record(events.USER_PASSWORD_RESET, user, user)
    return user
