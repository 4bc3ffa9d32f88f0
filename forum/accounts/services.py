"""What people do with their accounts: sign up, sign in, change password, edit profile."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select

from forum import policy
from forum.accounts import email as address_mail
from forum.accounts import sessions
from forum.accounts.models import USERNAME_PATTERN, User
from forum.accounts.passwords import (
    check_new_password,
    hash_password,
    spend_a_check,
    verify_password,
)
from forum.database import utcnow, write_transaction
from forum.errors import Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db

MAX_BIO = 1000
MAX_DISPLAY_NAME = 60
SIGN_IN_FAILED = "Wrong username or password."


def find_user(username: str) -> User | None:
    """The account with this username, whatever its case."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def get_profile(username: str) -> User:
    user = find_user(username)
    if user is None or user.deleted_at is not None:
        raise NotFound("There is no one by that name here.")
    return user


def check_username(username: str) -> str:
    """A username someone chose: its shape, and free (whatever its case)."""
    username = username.strip()
    if not re.match(USERNAME_PATTERN, username):
        raise Invalid(
            "Usernames are 3 to 30 letters, digits or underscores, starting with a letter "
            "or digit.",
            field="username",
        )
    if find_user(username) is not None:
        raise Invalid("That username is taken.", field="username")
    return username


def register(username: str, email: str, password: str, *, site_admin: bool = False,
             email_confirmed: bool = False) -> User:
    """Create an account with its address waiting to be confirmed by a mailed link.

    An address another account has confirmed is not refused (that would tell anyone
    who has an account here): the account is made as any other, and the address's owner
    gets a mail saying so instead of a link. `email_confirmed` is for an operator
    vouching for the address (the CLI, the demo)."""
    username, email = check_username(username), address_mail.check_email(email)
    if email_confirmed and address_mail.owner_of(email) is not None:
        raise Invalid("Another account has that email address.", field="email")
    with write_transaction():
        user = User(
            username=username,
            email=email if email_confirmed else None,
            email_confirmed_at=utcnow() if email_confirmed else None,
            pending_email=None if email_confirmed else email,
            password_hash=hash_password(check_new_password(password)),
            is_site_admin=site_admin,
        )
        db.session.add(user)
        db.session.flush()
        if not email_confirmed:
            address_mail.ask_to_confirm(user, email, signing_up=True)
        record(events.USER_REGISTERED, user, user, None,
               {"username": user.username, "site_admin": site_admin})
    return user


def authenticate(login: str, password: str) -> User:
    """The account these credentials open; one message for every kind of miss."""
    login = login.strip()
    column = User.email if "@" in login else User.username
    user = db.session.scalar(select(User).where(func.lower(column) == login.lower()))
    if user is None:
        spend_a_check(password)
        raise Invalid(SIGN_IN_FAILED)
    if not verify_password(user.password_hash, password):
        raise Invalid(SIGN_IN_FAILED)
    policy.require(user, policy.Action.SIGN_IN, user)
    return user


def change_password(user: User, current: str | None, new: str) -> None:
    """Set a new password and end every other session of this account. An account made
    by signing in with a provider has none to give, and sets its first one here."""
    if user.has_password and not verify_password(user.password_hash, current or ""):
        raise Invalid("Your current password is not right.", field="current_password")
    check_new_password(new, field="new_password")
    with write_transaction():
        user.password_hash = hash_password(new)
        sessions.end_all_sessions(user, keep_current=True)
        record(events.USER_PASSWORD_CHANGED, user, user)


def update_profile(actor: User, user: User, display_name: str, bio: str) -> None:
    """Change how a person appears to others."""
    policy.require(actor, policy.Action.EDIT_PROFILE, user)
    display_name = " ".join(display_name.split())
    if len(display_name) > MAX_DISPLAY_NAME:
        raise Invalid(f"Display names are at most {MAX_DISPLAY_NAME} characters.", "display_name")
    if len(bio) > MAX_BIO:
        raise Invalid(f"The bio is at most {MAX_BIO} characters.", field="bio")
    with write_transaction():
        changed = {"display_name": [user.display_name, display_name]} \
            if user.display_name != display_name else {}
        user.display_name = display_name
        user.bio = bio.strip()
        record(events.USER_PROFILE_UPDATED, actor, user, None, {"changed": changed})


def suspend(actor: User, user: User, until: datetime, reason: str = "") -> None:
    """Bar an account from signing in until a moment, ending its sessions now."""
    policy.require(actor, policy.Action.SUSPEND_USER, user)
    if until <= utcnow():
        raise Invalid("A suspension must end in the future.", field="until")
    with write_transaction():
        _apply_suspension(user, until, reason.strip()[:500])
        record(events.USER_SUSPENDED, actor, user, None,
               {"username": user.username, "until": until.isoformat(timespec="minutes"),
                "reason": user.suspension_reason})


def lift_suspension(actor: User, user: User) -> None:
    """Let a suspended account sign in again."""
    policy.require(actor, policy.Action.SUSPEND_USER, user)
    with write_transaction():
        user.suspended_until = None
        user.suspension_reason = ""
        record(events.USER_UNSUSPENDED, actor, user, None, {"username": user.username})


def _apply_suspension(user: User, until: datetime | None, reason: str) -> None:
    user.suspended_until = until
    user.suspension_reason = reason
    sessions.end_all_sessions(user)
