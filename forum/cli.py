"""Operator commands: `flask users ...`, `flask demo load`, `flask worker`, `flask backup ...`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from forum import demo
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.backup.cli import backup_cli
from forum.dataexport.cli import export_cli
from forum.errors import DomainError
from forum.extensions import db
from forum.mail.cli import mail_cli, where_mail_goes
from forum.mail.runtime import get_mail_runtime
from forum.notifications.runtime import get_notifier_runtime
from forum.search.cli import search_cli
from forum.search.cli import worker as search_worker
from forum.webhooks.runtime import get_webhook_runtime

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying Cocreate out.")


@users_cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.password_option()
def create_admin(username: str, email: str, password: str) -> None:
    """Create a site admin account."""
    try:
        user = accounts.register(username, email, password, site_admin=True,
                                 email_confirmed=True)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Site admin {user.username} created.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
def load_demo(if_empty: bool) -> None:
    """Fill an empty database with a small, realistic demo."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        if if_empty:
            click.echo(f"The database already has data; demo not loaded. {demo.LOGIN_HINT}")
            return
        raise click.ClickException("The database is not empty; the demo needs an empty one.")
    with click.progressbar(length=demo.steps(), label="Loading the demo") as bar:
        demo.load(progress=bar.update)
    sent = get_notifier_runtime().notifier().run_until_idle()
    click.echo(f"The demo's people have {sent} notifications between them.")
    mailer = get_mail_runtime().mailer()
    digests = mailer.compose_digests(everyone=True)
    mailed = mailer.run_until_idle()
    click.echo(f"Mail sent: {mailed.sent}, {digests} of them daily digests "
               f"({where_mail_goes()}).")
    click.echo(f"Demo loaded. {demo.LOGIN_HINT}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Apply what is pending, then exit.")
@click.pass_context
def worker(context: click.Context, once: bool) -> None:
    """Run every reader of the event log (notifier, webhook dispatcher, search indexer),
    the mail sender and the webhook sender beside gunicorn."""
    notifier, mailer, webhooks = get_notifier_runtime(), get_mail_runtime(), \
        get_webhook_runtime()
    if once:
        notifier.notifier().run_until_idle()
        mailer.mailer().run_until_idle()
        webhooks.run_until_idle()
    else:
        notifier.start()
        mailer.start()
        webhooks.start()
    context.invoke(search_worker, once=once)
    notifier.stop()
    mailer.stop()
    webhooks.stop()


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(worker)
    app.cli.add_command(mail_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(export_cli)
