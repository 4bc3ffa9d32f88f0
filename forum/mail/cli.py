"""`flask mail ...`: what the queue holds, sending now, retrying, recording bounces."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, update

from forum.accounts.models import User
from forum.database import utcnow, write_transaction
from forum.extensions import db
from forum.mail.models import FAILED, QUEUED, SENDING, STATES, OutgoingMail
from forum.mail.runtime import get_mail_runtime
from forum.mail.sender import mark_bounced

mail_cli = AppGroup("mail", help="The mail queue: status, send, retry, bounces.")


def where_mail_goes() -> str:
    url = current_app.config.get("MAIL_URL") or ""
    if not url:
        return f".eml files in {current_app.config['MAIL_DIRECTORY']} (no MAIL_URL set)"
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.hostname}:{parts.port or ''}".rstrip(":")


@mail_cli.command("status")
@click.option("--errors", default=5, show_default=True, help="How many failing mails to list.")
def status(errors: int) -> None:
    """How many mails are in each state, what waits longest, and why mail fails."""
    counts = dict(db.session.execute(select(OutgoingMail.status, func.count())
                                     .group_by(OutgoingMail.status)).all())
    click.echo(f"Mail goes to: {where_mail_goes()}")
    for state in STATES:
        click.echo(f"  {state:<9} {counts.get(state, 0):>8,}")
    now = utcnow()
    oldest = db.session.scalar(select(func.min(OutgoingMail.created_at))
                               .where(OutgoingMail.status.in_([QUEUED, SENDING])))
    if oldest is not None:
        click.echo(f"Oldest waiting: queued {_ago(now - oldest)} ago")
    bounced = db.session.scalar(select(func.count()).select_from(User)
                                .where(User.mail_bounced_at.is_not(None))) or 0
    click.echo(f"Addresses that bounced (no mail goes to them): {bounced:,}")
    failing = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.last_error != "",
                                   OutgoingMail.status.in_([QUEUED, SENDING, FAILED]))
        .order_by(OutgoingMail.id.desc()).limit(errors)).all()
    if failing:
        click.echo("Failing:")
    for mail in failing:
        retry = "waits for `flask mail retry`" if mail.status == FAILED else \
            f"next try in {_ago(max(mail.next_attempt_at - now, timedelta(0)))}"
        click.echo(f"  #{mail.id} to {mail.to_address or 'user ' + str(mail.user_id)}: "
                   f"{mail.attempts} attempt{'s' if mail.attempts != 1 else ''}, {retry}: "
                   f"{mail.last_error}")


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@mail_cli.command("send")
@click.option("--digests-now", is_flag=True,
              help="Compose everyone's waiting digest now, whatever their hour.")
def send(digests_now: bool) -> None:
    """Send what is due now (the worker does this on its own)."""
    mailer = get_mail_runtime().mailer()
    if digests_now:
        click.echo(f"Digests composed: {mailer.compose_digests(everyone=True)}")
    done = mailer.run_until_idle()
    click.echo(f"Sent {done.sent}, dropped {done.dropped}, bounced {done.bounced}, "
               f"failed {done.failed}, to retry {done.retried}; digests {done.digests}.")
    for error in done.errors:
        click.echo(f"  {error}", err=True)


@mail_cli.command("retry")
@click.argument("mail_ids", nargs=-1, type=int)
def retry(mail_ids: tuple[int, ...]) -> None:
    """Queue failed mail again (all of it, or the ids given), to be sent now."""
    condition = OutgoingMail.status == FAILED
    if mail_ids:
        condition &= OutgoingMail.id.in_(mail_ids)
    with write_transaction():
        changed = db.session.execute(update(OutgoingMail).where(condition).values(
            status=QUEUED, attempts=0, next_attempt_at=utcnow())).rowcount
    click.echo(f"{changed} mail{'s' if changed != 1 else ''} queued again.")


@mail_cli.command("bounced")
@click.argument("address")
def bounced(address: str) -> None:
    """Record that ADDRESS bounces (a bounce report came back): no more mail to it."""
    with write_transaction():
        changed = mark_bounced(address)
    if not changed:
        raise click.ClickException(f"No account has {address} as a confirmed address that "
                                   "still gets mail.")
    click.echo(f"No more mail goes to {address} until its owner confirms it again.")
