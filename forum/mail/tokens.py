"""Signed links in mail: unsubscribe, confirm an address, reset a password, claim an
invited account, prove a company's work email.

Each purpose signs with its own salt, so a link made for one can never serve another;
a link that was forged, cut short or has expired is refused with one clear message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from forum.errors import Invalid

UNSUBSCRIBE, CONFIRM_EMAIL, RESET_PASSWORD = "unsubscribe", "confirm-email", "reset-password"
CLAIM_ACCOUNT = "claim-account"
COMPANY_REQUEST = "company-request"  # expires like CONFIRM_EMAIL (CONFIRM_EMAIL_HOURS)


UNTIMED = frozenset({UNSUBSCRIBE})  # works for as long as the mail is kept, one link each


def _serializer(purpose: str) -> URLSafeSerializer:
    kind = URLSafeSerializer if purpose in UNTIMED else URLSafeTimedSerializer
    return kind(current_app.config["SECRET_KEY"], salt=f"cocreate.{purpose}")


def sign(purpose: str, payload: Any) -> str:
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str, max_age: float | None = None) -> Any:
    """What a link carries, or Invalid (a 400) when it is not one we made or is too old."""
    serializer = _serializer(purpose)
    try:
        if isinstance(serializer, URLSafeTimedSerializer):
            return serializer.loads(token, max_age=max_age)
        return serializer.loads(token)
    except SignatureExpired:
        raise Invalid("This link has expired. Ask for a new one and use it within "
                      f"{_describe(max_age)}.") from None
    except BadSignature:
        raise Invalid("This link is not valid: it may have been cut short or changed. "
                      "Copy the whole link from the mail, or ask for a new one.") from None


def _describe(seconds: float | None) -> str:
    hours = int((seconds or 0) // 3600)
    return f"{hours // 24} days" if hours >= 48 else f"{hours} hours" if hours > 1 else "an hour"
