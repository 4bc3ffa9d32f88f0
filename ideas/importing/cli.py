"""`flask import csv COMPANY FILE`: the web page's preview and import, from a shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from forum.accounts.models import User
from forum.companies.models import Membership, Role
from forum.companies.services import get_company
from forum.errors import DomainError
from forum.extensions import db
from ideas.importing import services
from ideas.importing.planning import Plan
from ideas.importing.writing import import_plan

import_cli = AppGroup("import", help="Import ideas from other tools.")
SHOWN_ERRORS = 200


def _actor(company_id: int, username: str | None) -> User:
    """The account the import acts as: the one named, or the company's first owner."""
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
    else:
        user = db.session.scalar(select(User).join(Membership).where(
            Membership.company_id == company_id, Membership.role == Role.OWNER.value)
            .order_by(Membership.id).limit(1))
    if user is None:
        raise click.ClickException("No such account: name one with --as USERNAME."
                                   if username else "The company has no owner: use --as.")
    return user


def _echo_plan(plan: Plan) -> None:
    click.echo(f"{len(plan.ideas):,} ideas, {plan.comment_count:,} comments, "
               f"{plan.vote_count:,} votes; {plan.matched:,} accounts matched, "
               f"{len(plan.new_addresses):,} invited accounts to make, "
               f"{len(plan.new_tags):,} tags to add.")
    for note in plan.parsed.notes:
        click.echo(note)
    for error in plan.errors[:SHOWN_ERRORS]:
        click.echo(f"{error.file}, line {error.line}, {error.column}: {error.message}",
                   err=True)
    if len(plan.errors) > SHOWN_ERRORS:
        click.echo(f"... and {len(plan.errors) - SHOWN_ERRORS:,} more.", err=True)


@import_cli.command("csv")
@click.argument("company_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--comments", "comments_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A second CSV of comments (our format).")
@click.option("--format", "format_", type=click.Choice(["auto", "ours", "fider"]),
              default="auto", show_default=True)
@click.option("--as", "username", help="Act as this account (default: the first owner).")
@click.option("--dry-run", is_flag=True, help="Show the preview; import nothing.")
@click.option("--yes", is_flag=True, help="Import without asking.")
def import_csv(company_slug: str, file: Path, comments_file: Path | None, format_: str,
               username: str | None, dry_run: bool, yes: bool) -> None:
    """Import ideas, votes and comments into COMPANY_SLUG from FILE (CSV or zip): all of
    them, or nothing when any row is wrong (exit status 1)."""
    try:
        company = get_company(company_slug)
        actor = _actor(company.id, username)
        plan = services.preview(actor, company, file.read_bytes(),
                                comments_file.read_bytes() if comments_file else None,
                                format_)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    _echo_plan(plan)
    if not plan.ok:
        raise click.ClickException(f"{len(plan.errors):,} rows are wrong: nothing imported.")
    if dry_run or not (yes or click.confirm(f"Import {len(plan.ideas):,} ideas?")):
        click.echo("Nothing imported.")
        return
    with click.progressbar(length=len(plan.ideas), label="Importing") as bar:
        summary = import_plan(actor, plan, progress=bar.update)
    click.echo(summary.sentence())
