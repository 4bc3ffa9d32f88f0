"""Putting mail in the queue: a notification's, in the notifier's own transaction, and
account mail, in the transaction of the change it tells of."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.database import in_write_transaction, insert_ignoring_conflicts, utcnow
from forum.extensions import db
from forum.hooks import MailKind
from forum.mail.models import ACCOUNT, DAILY, DIGEST, NOW, QUEUED, MailPreference, OutgoingMail

CHUNK = 1000  # people per statement: well under every database's limit on parameters


def queue_notification_mail(session: Session, event_id: int, people: Mapping[int, str],
                            kind_of: Callable[[str], str],
                            kinds: Mapping[str, MailKind]) -> int:
    """Queue the mail these notifications call for, by each person's preference for
    the kind (`kind_of(reason)`): at once, for the daily digest, or none. Only confirmed
    addresses that never bounced get mail. How many mails were queued or held."""
    now, rows = utcnow(), []
    user_ids = list(people)
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start:start + CHUNK]
        addresses = dict(session.execute(select(User.id, User.email).where(
            User.id.in_(chunk), User.email.is_not(None), User.mail_bounced_at.is_(None))).all())
        chosen = {(user_id, kind): delivery for user_id, kind, delivery in session.execute(
            select(MailPreference.user_id, MailPreference.kind, MailPreference.delivery)
            .where(MailPreference.user_id.in_(list(addresses))))}
        for user_id, address in addresses.items():
            reason = people[user_id]
            kind = kind_of(reason)
            delivery = chosen.get((user_id, kind), kinds[kind].default)
            if delivery not in (NOW, DAILY):
                continue
            rows.append({"user_id": user_id, "event_id": event_id, "kind": kind,
                         "reason": reason, "to_address": address,
                         "status": QUEUED if delivery == NOW else DIGEST,
                         "next_attempt_at": now, "created_at": now})
    if rows:  # executemany: one statement compiled, sent in batches of rows
        session.execute(insert_ignoring_conflicts(OutgoingMail, session), rows)
    return len(rows)


@dataclass(frozen=True)
class Letter:
    """An account mail, rendered: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def render_letter(template: str, **context: object) -> Letter:
    """An account mail from templates/mail/<template>.txt and .html (the subject is the
    text part's first line, "Subject: ...")."""
    text = render_template(f"mail/{template}.txt", **context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"mail/{template}.txt must start with a Subject: line")
    html = render_template(f"mail/{template}.html", subject=first[9:], **context)
    return Letter(first[9:].strip(), body.lstrip("\n"), html)


def queue_account_mail(to_address: str, letter: Letter, user: User | None = None) -> None:
    """Queue a mail about an account (confirm, reset, a changed address): it goes even to
    an address not confirmed yet, since confirming it is often the point. Called inside
    the write transaction of the change it tells of."""
    assert in_write_transaction(), "account mail is queued with the change it tells of"
    db.session.add(OutgoingMail(
        user_id=user.id if user is not None else None, kind=ACCOUNT, to_address=to_address,
        subject=letter.subject, text_body=letter.text, html_body=letter.html, status=QUEUED))

