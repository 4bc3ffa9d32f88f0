"""Passwords: how they are hashed, and which ones are refused as too easy to guess."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from forum.errors import Invalid

MIN_PASSWORD = 8
MAX_PASSWORD = 128
# The 10,000 most common passwords, lowercased, most common first: the head of the list
# Django ships (django/contrib/auth/common-passwords.txt.gz, BSD licence), made by Royce
# Williams from breach corpora.
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt.gz")


@functools.cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_new_password(password: str, field: str = "password") -> str:
    """A password someone wants to set: long enough, and not one of the common ones.

    Only new passwords are checked; an existing account whose password is on the list
    still signs in with it.
    """
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"Passwords are {MIN_PASSWORD} to {MAX_PASSWORD} characters long.", field=field
        )
    if password.strip().lower() in _common():
        raise Invalid("That password is one of the most common ones, and easy to guess. "
                      "Please choose another.", field=field)
    return password


def hash_password(password: str) -> str:
    """scrypt in production; the test configuration picks a cheap method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def spend_a_check(password: str) -> None:
    """Check against a throwaway hash, so a sign-in for no account costs as much as one."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)
