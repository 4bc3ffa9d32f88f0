"""What people choose about mail: which kinds, when, and leaving a list in one click."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import delete, select

from forum.accounts.models import User
from forum.database import write_transaction
from forum.errors import Invalid
from forum.extensions import db
from forum.hooks import MailKind, hooks_of
from forum.mail import tokens
from forum.mail.compose import ALL_KINDS
from forum.mail.models import DAILY, DELIVERIES, OFF, MailPreference


@cache
def timezones() -> tuple[str, ...]:
    """Every timezone this machine knows, UTC first."""
    return ("UTC", *sorted(zone for zone in available_timezones() if zone != "UTC"))


def kinds() -> Mapping[str, MailKind]:
    return hooks_of().mail_kinds


def preferences(user: User) -> dict[str, str]:
    """How this person gets each kind by mail: their choice, or the kind's default."""
    chosen = dict(db.session.execute(select(MailPreference.kind, MailPreference.delivery)
                                     .where(MailPreference.user_id == user.id)).all())
    return {name: chosen.get(name, kind.default) for name, kind in kinds().items()}


def save_preferences(user: User, choices: Mapping[str, str], digest_hour: int,
                     timezone: str) -> None:
    """Set every kind's delivery, and the hour (in the person's timezone) of the digest."""
    unknown = set(choices) - set(kinds())
    if unknown:
        raise Invalid(f"There is no kind of mail called {sorted(unknown)[0]}.")
    if any(delivery not in DELIVERIES for delivery in choices.values()):
        raise Invalid("Choose at once, in the daily digest, or off.")
    if not 0 <= digest_hour <= 23:
        raise Invalid("Choose an hour from 0 to 23.", field="digest_hour")
    if timezone not in timezones():
        raise Invalid("Choose a timezone from the list.", field="timezone")
    with write_transaction():
        _set(user.id, choices)
        user.digest_hour, user.timezone = digest_hour, timezone


def _set(user_id: int, choices: Mapping[str, str]) -> None:
    db.session.execute(delete(MailPreference).where(MailPreference.user_id == user_id,
                                                    MailPreference.kind.in_(list(choices))))
    db.session.add_all(MailPreference(user_id=user_id, kind=kind, delivery=delivery)
                       for kind, delivery in choices.items())


def unsubscribe_link(token: str) -> tuple[User, list[MailKind]]:
    """Who an unsubscribe link is for, and the kinds it stops (a digest's link stops
    every kind that goes to the digest). A forged link is a 400 and changes nothing."""
    payload = tokens.read(tokens.UNSUBSCRIBE, token)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise Invalid("This link is not valid. Copy the whole link from the mail.")
    user = db.session.get(User, payload[0])
    if user is None:
        raise Invalid("This link is for an account that no longer exists.")
    if payload[1] == ALL_KINDS:
        return user, [kinds()[name] for name, delivery in preferences(user).items()
                      if delivery == DAILY]
    if payload[1] not in kinds():
        raise Invalid("This link is for a kind of mail we no longer send.")
    return user, [kinds()[payload[1]]]


def unsubscribe(token: str) -> tuple[User, list[MailKind]]:
    """Turn off what the link names; doing it twice is harmless."""
    user, stopped = unsubscribe_link(token)
    with write_transaction():
        _set(user.id, {kind.name: OFF for kind in stopped})
    return user, stopped
