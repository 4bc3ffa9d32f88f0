"""SQLite: copying the live file with the online backup API, in both directions.

Creating a backup holds a read transaction on the source for the whole copy: in WAL mode
that is one consistent snapshot, writers keep going meanwhile, and the copy never starts
over because someone wrote (it would without it, at every step after a write).
Restoring copies the backup's pages into the live file under SQLite's write lock, which
the backup API holds from its first step to its last; the app's writers wait for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from urllib.request import pathname2url

from forum.backup.files import BackupError, Report
from forum.database import BUSY_TIMEOUT_MS, sqlite_writers_waiting

STEP_PAGES = 64  # pages per step: the progress callback runs after each (a line per tenth)
_TIMEOUT = BUSY_TIMEOUT_MS / 1000


def live_path(database: str | None) -> Path:
    """The file behind the app's SQLite URL; refuse a database in memory or named by URI."""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("The database is in memory or named by a file: URI; backups "
                          "need a plain path (sqlite:////path/to/cocreate.db).")
    return Path(database)


def create(database: Path, target: Path, report: Report) -> None:
    """Copy the live database into `target` (a new file), a snapshot as of the start."""
    if not database.is_file():
        raise BackupError(f"The database {database} does not exist: nothing to back up.")
    source = sqlite3.connect(database, timeout=_TIMEOUT, isolation_level=None)
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchall()  # the snapshot
        source.backup(copy, pages=STEP_PAGES, progress=_pages_reporter(report, "Copied"))
        source.execute("COMMIT")
        # One self-contained file, with no -wal beside it to lose when it is moved.
        copy.execute("PRAGMA journal_mode=DELETE").fetchall()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy {database}: {error}.") from None
    finally:
        copy.close()
        source.close()


def revision(backup: Path) -> str | None:
    """The backup's schema revision, after checking that SQLite can read it whole."""
    try:
        with _read_only(backup) as connection:
            (state,) = connection.execute("PRAGMA quick_check").fetchone()
            if state != "ok":
                raise BackupError(f"{backup} is damaged (SQLite's quick_check: {state}).")
            tables = {name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                return None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{backup} is not a readable SQLite database ({error}).") from None
    return row[0] if row else None


def restore(backup: Path, database: Path, report: Report) -> None:
    """Replace every page of the live database with the backup's."""
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sqlite_writers_waiting(str(database)), _read_only(backup) as source:
            live = sqlite3.connect(database, timeout=_TIMEOUT, isolation_level=None)
            try:
                source.backup(live, pages=STEP_PAGES,
                              progress=_pages_reporter(report, "Restored"))
            finally:
                live.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not restore into {database}: {error}. "
                          "The database is as it was before.") from None


def _read_only(path: Path) -> closing[sqlite3.Connection]:
    """A connection that can neither write the backup nor create a -wal beside it."""
    return closing(sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro",
                                   uri=True, isolation_level=None))


def _pages_reporter(report: Report, verb: str) -> Callable[[int, int, int], None]:
    """The backup API's progress callback: a line at each tenth of the pages copied."""
    shown = [-1]

    def progress(_status: int, remaining: int, total: int) -> None:
        done = total - remaining
        tenth = done * 10 // total if total else 10
        if tenth > shown[0]:
            shown[0] = tenth
            report(f"{verb} {done:,} of {total:,} pages ({done * 100 // max(total, 1)}%)")

    return progress
