"""`flask export company SLUG PATH`: an operator writes a company's export to a file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from forum.companies.models import Company
from forum.database import utcnow
from forum.dataexport import company as company_export
from forum.extensions import db

export_cli = AppGroup("export", help="Export data to files.")


@export_cli.command("company")
@click.argument("slug")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_company(slug: str, path: Path) -> None:
    """Write the company's CSV zip (what its owners download) to PATH."""
    company = db.session.scalar(select(Company).where(Company.slug == slug))
    if company is None:
        raise click.ClickException(f"There is no company at {slug!r}.")
    chunks = company_export.archive(db.engine, company.id, company.name, "the command line",
                                    f"{utcnow():%Y-%m-%d %H:%M} UTC")
    written = 0
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
            click.echo(f"\r{written / 1e6:.1f} MB written", nl=False, err=True)
    click.echo(err=True)
    click.echo(f"{company.name}'s export is in {path} ({written / 1e6:.1f} MB).")
