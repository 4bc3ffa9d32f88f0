"""The mail sender: composes the daily digests that are due and sends what is queued.

Each mail is claimed (status "sending" until a lease runs out) in a transaction of its
own, sent, and marked sent at once, so a sender that dies resends at most the one mail
it was sending when it died, and only if the server had already accepted it (with the
same Message-ID, which mail programs use to show it once). A failure is retried with
exponential backoff and never dropped: after MAIL_MAX_ATTEMPTS it waits, failed, for
`flask mail retry`. A server that refuses an address for good (a 5xx to RCPT) stops all
mail to that address until it changes or is confirmed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid, parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy import and_, func, or_, select, update

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.extensions import db
from forum.hooks import hooks_of
from forum.mail import transport as transports
from forum.mail.compose import Renderer, digest_letter, mail_context, may_read, message_of
from forum.mail.models import (
    ACCOUNT,
    BOUNCED,
    DIGEST,
    DIGEST_MAIL,
    DIGESTED,
    DROPPED,
    FAILED,
    OFF,
    QUEUED,
    SENDING,
    SENT,
    MailPreference,
    OutgoingMail,
)
from forum.mail.queue import Letter

logger = logging.getLogger("forum.mail")
MAX_BACKOFF = timedelta(hours=6)
DIGEST_LOOKS = timedelta(minutes=1)  # how often the sender looks for digests that are due


@dataclass
class Pass:
    """What one pass of the sender did."""

    digests: int = 0
    sent: int = 0
    retried: int = 0
    dropped: int = 0
    failed: int = 0
    bounced: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.digests or self.sent or self.dropped or self.failed or self.bounced)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """1, 2, 4, 8 ... times the base after each failure, at most six hours."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Mailer:
    """One app's sender. Call run_once() inside the app context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.config = app.config
        self.paused_until: datetime | None = None  # the server is away: wait before trying
        self.outages = 0
        self.next_digest_look: datetime | None = None

    # Digests ---------------------------------------------------------------------------

    def compose_digests(self, now: datetime | None = None, *, everyone: bool = False) -> int:
        """Compose the digest of each person whose hour has come and who has news
        waiting since before it (everyone with news waiting, when `everyone`)."""
        now = now or utcnow()
        waiting = db.session.execute(
            select(OutgoingMail.user_id, func.min(OutgoingMail.created_at))
            .where(OutgoingMail.status == DIGEST).group_by(OutgoingMail.user_id)).all()
        db.session.rollback()
        composed = 0
        for user_id, oldest in waiting:
            user = db.session.get(User, user_id)
            if user is not None and (everyone or oldest < latest_digest_time(user, now)):
                composed += self._compose_digest(user, now)
        return composed

    def _compose_digest(self, user: User, now: datetime) -> int:
        with write_transaction(), mail_context():
            rows = db.session.scalars(select(OutgoingMail).where(
                OutgoingMail.user_id == user.id, OutgoingMail.status == DIGEST)
                .order_by(OutgoingMail.id)).all()
            renderer = Renderer()
            told = [line for row in rows if (line := renderer.told(row)) is not None
                    and may_read(user, line)]
            address = user.mail_address
            if not told or address is None:
                for row in rows:
                    row.status, row.last_error = DROPPED, "nothing left to tell" \
                        if not told else "no confirmed address"
                return 0
            letter = digest_letter(user, told)
            digest = OutgoingMail(user_id=user.id, kind=DIGEST_MAIL, to_address=address,
                                  subject=letter.subject, text_body=letter.text,
                                  html_body=letter.html, status=QUEUED)
            db.session.add(digest)
            db.session.flush()
            db.session.execute(update(OutgoingMail).where(
                OutgoingMail.id.in_([row.id for row in rows])).values(
                status=DIGESTED, digest_id=digest.id))
            user.last_digest_at = now
        return 1

    # Sending ---------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> Pass:
        """Compose due digests, then send one batch of due mail."""
        now = now or utcnow()
        done = Pass()
        if self.next_digest_look is None or now >= self.next_digest_look:
            done.digests = self.compose_digests(now)
            self.next_digest_look = now + DIGEST_LOOKS
        if self.paused_until is not None and now < self.paused_until:
            return done
        claimed = self._claim(now)
        if not claimed:
            return done
        transport = transports.open_transport(self.app)
        try:
            with mail_context():
                renderer = Renderer()
                choices = _load_batch(claimed)
                for index, mail_id in enumerate(claimed):
                    if not self._send_one(transport, renderer, choices, mail_id, done):
                        self._release(claimed[index + 1:])
                        break
                else:
                    self.outages, self.paused_until = 0, None
        finally:
            transport.close()
            db.session.rollback()  # end the reads' transaction: no snapshot is kept
        return done

    def run_until_idle(self) -> Pass:
        """Send until nothing is due now (a server that is away ends it early)."""
        total = Pass()
        while True:
            done = self.run_once()
            for name in ("digests", "sent", "retried", "dropped", "failed", "bounced"):
                setattr(total, name, getattr(total, name) + getattr(done, name))
            total.errors += done.errors
            if not done.busy or done.retried:
                return total

    def _claim(self, now: datetime) -> list[int]:
        """Take up to MAIL_BATCH_SIZE due mails for this sender, oldest first."""
        with write_transaction():
            statement = (select(OutgoingMail).where(or_(
                and_(OutgoingMail.status == QUEUED, OutgoingMail.next_attempt_at <= now),
                and_(OutgoingMail.status == SENDING, OutgoingMail.claimed_until < now)))
                .order_by(OutgoingMail.id).limit(self.config["MAIL_BATCH_SIZE"]))
            if db.session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            mails = db.session.scalars(statement).all()
            domain = parseaddr(self.config["MAIL_FROM"])[1].split("@")[-1] or "localhost"
            lease = timedelta(seconds=self.config["MAIL_LEASE_SECONDS"])
            for mail in mails:
                mail.status, mail.claimed_until = SENDING, now + lease
                mail.message_id = mail.message_id or make_msgid(f"mail-{mail.id}", domain)
            return [mail.id for mail in mails]

    def _release(self, mail_ids: list[int]) -> None:
        if mail_ids:
            with write_transaction():
                db.session.execute(update(OutgoingMail).where(OutgoingMail.id.in_(mail_ids))
                                   .values(status=QUEUED, claimed_until=None))

    def _send_one(self, transport: transports.Transport, renderer: Renderer,
                  choices: Choices, mail_id: int,
                  done: Pass) -> bool:
        """Send one claimed mail and record what happened; False if the server is away
        (the rest of the batch then waits)."""
        mail = db.session.get(OutgoingMail, mail_id)
        assert mail is not None
        letter, address, company, why_not = self._prepare(renderer, choices, mail)
        if letter is None or address is None:
            self._finish(mail, status=DROPPED, last_error=why_not)
            done.dropped += 1
            return True
        message = message_of(mail, letter, address, company)
        try:
            transport.send(message)
        except transports.Bounced as error:
            self._bounce(mail_id, address, str(error))
            done.bounced += 1
            return True
        except transports.PermanentFailure as error:
            self._finish(mail, status=FAILED, last_error=str(error)[:500])
            done.failed += 1
            return True
        except transports.TemporaryFailure as error:
            away = not isinstance(error, transports.Deferred)
            self._retry(mail, str(error), server_away=away)
            done.retried += 1
            done.errors.append(str(error))
            return not away
        self._finish(mail, status=SENT, sent_at=utcnow(), last_error="",
                     attempts=mail.attempts + 1, to_address=address)
        done.sent += 1
        return True

    def _prepare(self, renderer: Renderer, choices: Choices, mail: OutgoingMail
                 ) -> tuple[Letter | None, str | None, Company | None, str]:
        """The letter, address and company a claimed mail goes with now, or why it goes
        nowhere: account mail goes where it was addressed; the rest only to a confirmed
        address that takes mail, and a notification only if it may still be told."""
        if mail.kind == ACCOUNT:
            return Letter(mail.subject, mail.text_body, mail.html_body), mail.to_address, \
                None, ""
        user = db.session.get(User, mail.user_id) if mail.user_id else None
        address = user.mail_address if user is not None else None
        if address is None:
            return None, None, None, "no confirmed address that accepts mail"
        if mail.kind == DIGEST_MAIL:
            return Letter(mail.subject, mail.text_body, mail.html_body), address, None, ""
        if _delivery(choices, mail.user_id, mail.kind) == OFF:
            return None, None, None, "turned off before it was sent"
        told = renderer.told(mail)
        if told is None:
            return None, None, None, "no longer there to tell of"
        if not may_read(user, told):
            return None, None, None, "of a private space they are no longer part of"
        return renderer.notification(mail, told), address, told.company, ""

    def _finish(self, mail: OutgoingMail, **values: object) -> None:
        """Record what became of one mail, in a commit of its own. What else the session
        holds stays loaded (the next mail is often about the same event and thread)."""
        _end_reads()
        with write_transaction(keep_loaded=True):
            db.session.execute(update(OutgoingMail).where(OutgoingMail.id == mail.id)
                               .values(claimed_until=None, **values))
        db.session.expire(mail)

    def _retry(self, mail: OutgoingMail, error: str, *, server_away: bool) -> None:
        now, mail_id, attempts = utcnow(), mail.id, mail.attempts + 1
        if server_away:  # wait before trying the server again, whatever the mail
            self.outages += 1
            self.paused_until = now + backoff(self.outages, self.config["MAIL_RETRY_SECONDS"])
        gave_up = attempts >= self.config["MAIL_MAX_ATTEMPTS"]
        logger.warning("Mail %s not sent (attempt %s%s): %s", mail_id, attempts,
                       ", giving up until `flask mail retry`" if gave_up else "", error)
        self._finish(mail, status=FAILED if gave_up else QUEUED, attempts=attempts,
                     last_error=error[:500],
                     next_attempt_at=now + backoff(attempts, self.config["MAIL_RETRY_SECONDS"]))

    def _bounce(self, mail_id: int, address: str, error: str) -> None:
        logger.warning("Mail %s bounced: %s refused for good (%s)", mail_id, address, error)
        with write_transaction():
            db.session.execute(update(OutgoingMail).where(OutgoingMail.id == mail_id).values(
                status=BOUNCED, claimed_until=None, last_error=error[:500]))
            mark_bounced(address)


def _end_reads() -> None:
    """End the read transaction without expiring what it loaded: what the sender keeps
    (events, threads, posts, companies) is only read, never written from memory."""
    session = db.session()
    if session.in_transaction():
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


def mark_bounced(address: str) -> int:
    """No more mail to this address, whoever has it as their confirmed one."""
    changed = db.session.execute(update(User).where(
        func.lower(User.email) == address.lower(), User.mail_bounced_at.is_(None))
        .values(mail_bounced_at=utcnow()))
    return int(changed.rowcount or 0)


Choices = dict[tuple[int, str], str]  # (person, kind) -> delivery, as each chose


def _load_batch(mail_ids: list[int]) -> Choices:
    """A claimed batch's mails and their people, into the session at once (the sender
    then finds each without a query), and the people's choices of delivery."""
    mails = db.session.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(mail_ids))).all()
    user_ids = list({mail.user_id for mail in mails if mail.user_id is not None})
    db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    return {(user_id, kind): delivery for user_id, kind, delivery in db.session.execute(
        select(MailPreference.user_id, MailPreference.kind, MailPreference.delivery)
        .where(MailPreference.user_id.in_(user_ids)))}


def _delivery(choices: Choices, user_id: int | None, kind: str) -> str:
    chosen = choices.get((user_id or 0, kind))
    if chosen is not None:
        return chosen
    return hooks_of().mail_kinds[kind].default if kind in hooks_of().mail_kinds else OFF


def zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_digest_time(user: User, now: datetime) -> datetime:
    """The last time (naive UTC) this person's digest hour struck, today or yesterday."""
    local = now.replace(tzinfo=UTC).astimezone(zone(user))
    slot = local.replace(hour=user.digest_hour, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    return slot.astimezone(UTC).replace(tzinfo=None)
