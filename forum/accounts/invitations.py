"""Accounts a company makes for someone it names by address, and claiming them.

A company's team records something for a person who asked by mail or on a call (a vote,
in ideas), and names them only by their address. When no account has confirmed that
address, the person gets an invited account: no password (so nobody signs in with it),
the address waiting in pending_email, and a mail with a link to claim it. Claiming sets
a password and confirms the address (the link proves it), and signs them in; what was
recorded for the account is theirs. A second invitation to the same address reuses the
account still waiting, so one person never gets two.
"""

from __future__ import annotations

import re

from flask import current_app, url_for
from sqlalchemy import func, select

from forum.accounts.email import confirm_address, owner_of
from forum.accounts.models import NO_PASSWORD, User
from forum.accounts.passwords import check_new_password, hash_password
from forum.database import in_write_transaction, utcnow, write_transaction
from forum.errors import Invalid
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.mail import tokens
from forum.mail.compose import absolute, mail_context
from forum.mail.queue import queue_account_mail, render_letter

USERNAME_STEM = 24  # characters of the address kept, leaving room for a number


def invited_account(by: User, company_id: int | None, address: str) -> tuple[User, bool]:
    """The account waiting to be claimed at `address`, made now if there is none:
    (account, made now). Inside the caller's write transaction; the caller has checked
    that no account has confirmed the address (see owner_of)."""
    assert in_write_transaction(), "an invited account is made with what it is for"
    waiting = db.session.scalar(
        select(User).where(func.lower(User.pending_email) == address.lower(),
                           User.invited_at.is_not(None), User.password_hash == NO_PASSWORD)
        .order_by(User.id).limit(1))
    if waiting is not None:
        return waiting, False
    user = User(username=free_username(address), pending_email=address,
                password_hash=NO_PASSWORD, invited_at=utcnow())
    db.session.add(user)
    db.session.flush()
    record(events.USER_INVITED, by, user, company_id, {"username": user.username})
    return user, True


def username_stem(address: str) -> str:
    """The start of an invited account's username: the address's local part, cleaned."""
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", address.partition("@")[0]).strip("_")
    stem = stem[:USERNAME_STEM] or "customer"
    return f"{stem}_customer" if len(stem) < 3 else stem


def free_username(address: str) -> str:
    """A username from the address's local part, made unique with a number."""
    stem = username_stem(address)
    taken = set(db.session.scalars(select(func.lower(User.username)).where(
        func.lower(User.username).like(f"{stem.lower()}%"))))
    candidates = [stem, *(f"{stem}{number}" for number in range(2, len(taken) + 3))]
    return next(name for name in candidates if name.lower() not in taken)


def mail_invitation(user: User, *, inviter: str, note: str, about_path: str) -> None:
    """Mail the invited account's address a link to claim it, saying who made it and why
    (`note`, plain text) with a link to what it is about; inside the caller's write
    transaction."""
    address = user.pending_email
    assert address and user.is_unclaimed, "only an account waiting to be claimed is invited"
    hours = float(current_app.config["CLAIM_ACCOUNT_HOURS"])
    with mail_context():
        token = tokens.sign(tokens.CLAIM_ACCOUNT, [user.id, address.lower()])
        letter = render_letter("invitation", user=user, inviter=inviter, note=note,
                               about_url=absolute(about_path), days=max(1, int(hours // 24)),
                               link=url_for("accounts.claim_account", token=token,
                                            _external=True))
    queue_account_mail(address, letter, user)


def claim_link(token: str) -> tuple[User, str]:
    """The account an invitation's link opens and the address it was mailed to, or a 400
    when it is not one, or was claimed already."""
    payload = tokens.read(tokens.CLAIM_ACCOUNT, token,
                          float(current_app.config["CLAIM_ACCOUNT_HOURS"]) * 3600)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        raise Invalid("This link is not valid. Copy the whole link from the mail.")
    user = db.session.get(User, payload[0])
    if user is None or not user.is_unclaimed:
        raise Invalid("This account has been claimed already: sign in with its password, "
                      "or ask for a new one if you forgot it.")
    return user, str(payload[1])


def claim_account(token: str, password: str) -> User:
    """Make the invited account the person's: their password, and the address the link
    was mailed to confirmed (unless another account has confirmed it since)."""
    user, address = claim_link(token)
    check_new_password(password)
    with write_transaction():
        user.password_hash = hash_password(password)
        if (user.pending_email or "").lower() == address and owner_of(address) is None:
            confirm_address(user, user.pending_email or address)
        record(events.USER_CLAIMED, user, user, None, {"username": user.username})
    return user
