"""`flask backup create [PATH]` and `flask backup restore PATH`, for operators."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from forum.backup import postgres, sqlite
from forum.backup.files import (
    PG_DUMP,
    SQLITE,
    BackupError,
    SchemaPosition,
    check_kind,
    default_path,
    schema_position,
    size_text,
    written_atomically,
)
from forum.extensions import db
from forum.pagecache.cache import outdate_every_page, site_version
from forum.search.cli import rebuild_with_progress

backup_cli = AppGroup("backup", help="Back the database up, or restore it from a backup.")


@contextmanager
def _operator_errors() -> Iterator[None]:
    """What went wrong as one clear line and exit status 1, never a traceback."""
    try:
        yield
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except (OSError, sqlite3.Error) as error:
        raise click.ClickException(f"{type(error).__name__}: {error}") from None


@backup_cli.command("create", short_help="Back the database up to a file.")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def create(path: Path | None, force: bool) -> None:
    """Back the whole database up to PATH (default: instance/backups/cocreate-<time>).

    Safe while the app runs: the backup is one consistent snapshot, and it is written
    under a temporary name, renamed only once complete.
    """
    kind = _kind()
    target = path or default_path(Path(current_app.instance_path) / "backups", kind)
    click.echo(f"Backing up {_where()} to {target}")
    with _operator_errors(), written_atomically(target, force=force) as partial:
        if kind == SQLITE:
            sqlite.create(sqlite.live_path(db.engine.url.database), partial, click.echo)
        else:
            postgres.create(db.engine, partial, click.echo)
    click.echo(f"Wrote {target} ({size_text(target.stat().st_size)}).")


@backup_cli.command("restore", short_help="Replace the database with a backup.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace EVERYTHING in the database with the backup at PATH, bring its schema up to
    date, and rebuild the search index."""
    kind = _kind()
    with _operator_errors():
        position, load = _checked(path, kind)
    stage = "older than the code's; it will be migrated" if position.older else "current"
    click.echo(f"{path} is a backup at schema revision {position.revision} ({stage}).")
    if not yes:
        click.confirm(f"This replaces everything in {_where()} with the backup. Continue?",
                      abort=True)
    seen = site_version()
    db.session.remove()
    db.engine.dispose()  # no connection of this process sees the old database again
    click.echo("Restoring the database...")
    with _operator_errors():
        load()
    db.engine.dispose()
    if position.older:
        click.echo(f"Migrating from {position.revision} to {position.head}...")
        _migrate()
    outdate_every_page(seen)
    click.echo("Kept pages are stale in every process. Rebuilding the search index...")
    rebuild_with_progress()
    click.echo(f"Restored {_where()} from {path}.")


def _migrate() -> None:
    try:
        upgrade()
    except Exception as error:  # whatever a migration raises, the operator gets one line
        raise click.ClickException(
            f"The backup is restored, but migrating it forward failed ({error}); fix the "
            "cause and run `flask db upgrade`, then `flask search reindex`.") from None


def _checked(path: Path, kind: str) -> tuple[SchemaPosition, Callable[[], None]]:
    """Refuse a file that is no backup for this database or from a newer schema; the
    position of its schema and the restore to run."""
    check_kind(path, PG_DUMP if kind == PG_DUMP else SQLITE)
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    known = [revision.revision for revision in script.walk_revisions()]
    head = script.get_current_head() or ""
    if kind == SQLITE:
        live = sqlite.live_path(db.engine.url.database)
        position = schema_position(path, sqlite.revision(path), known, head)
        return position, lambda: sqlite.restore(path, live, click.echo)
    archive = postgres.read_archive(path)
    position = schema_position(path, archive.revision, known, head)
    return position, lambda: postgres.restore(db.engine, archive, click.echo)


def _kind() -> str:
    dialect = db.engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise click.ClickException(f"Backups are for SQLite and PostgreSQL, not {dialect}.")
    return SQLITE if dialect == "sqlite" else PG_DUMP


def _where() -> str:
    return db.engine.url.render_as_string(hide_password=True)
