"""Backup files: where they go, how they are written, what kind a file is, and whether
its schema is one this code can bring forward."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from forum.search.store import fsync_path

SQLITE = "sqlite"
PG_DUMP = "pg_dump"
SUFFIXES = {SQLITE: ".db", PG_DUMP: ".dump"}
_MAGIC = {SQLITE: b"SQLite format 3\x00", PG_DUMP: b"PGDMP"}
_NAMES = {SQLITE: "an SQLite database", PG_DUMP: "a pg_dump archive"}
_DATABASES = {SQLITE: "SQLite", PG_DUMP: "PostgreSQL"}

Report = Callable[[str], object]  # a line of progress for the operator


class BackupError(Exception):
    """Why a backup or a restore cannot go on, in words for the operator."""


def default_path(backups: Path, kind: str) -> Path:
    """`cocreate-<UTC time>.db|.dump` in `backups`: names sort by age."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return backups / f"cocreate-{stamp}{SUFFIXES[kind]}"


@contextmanager
def written_atomically(target: Path, *, force: bool) -> Iterator[Path]:
    """A temporary path beside `target` to write the backup to; renamed to `target` only
    when the block ends without an error, so a half-written backup never looks complete
    (and is removed)."""
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name.")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; use --force to overwrite it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        yield partial
        if target.exists() and not force:
            raise BackupError(f"{target} appeared while the backup was written; "
                              "it is left as it was.")
        fsync_path(partial)
        os.replace(partial, target)
        fsync_path(target.parent)
    finally:
        partial.unlink(missing_ok=True)


def check_kind(path: Path, expected: str) -> None:
    """Refuse a missing file, or one that is not the kind of backup `expected`."""
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with open(path, "rb") as handle:
        head = handle.read(len(_MAGIC[SQLITE]))
    if head.startswith(_MAGIC[expected]):
        return
    message = f"{path} is not {_NAMES[expected]}"
    for kind, magic in _MAGIC.items():
        if head.startswith(magic):
            message += (f": it is {_NAMES[kind]}, a backup of a {_DATABASES[kind]} "
                        f"database, and this Cocreate uses {_DATABASES[expected]}")
    raise BackupError(message + ".")


@dataclass(frozen=True)
class SchemaPosition:
    revision: str
    head: str

    @property
    def older(self) -> bool:
        return self.revision != self.head


def schema_position(path: Path, revision: str | None, known: Iterable[str],
                    head: str) -> SchemaPosition:
    """Where the backup's schema stands against the code's migrations; refuse one this
    code does not know (from newer code) or a file with no schema revision at all."""
    if revision is None:
        raise BackupError(f"{path} has no alembic_version row: it is not a Cocreate backup.")
    if revision not in set(known):
        raise BackupError(
            f"{path} has schema revision {revision}, which this code does not know (its "
            f"newest is {head}): the backup comes from a newer Cocreate. Restore it with "
            "that version.")
    return SchemaPosition(revision, head)


def size_text(size: int) -> str:
    """1,234 bytes / 5.2 MB, for "wrote ... (size)"."""
    if size < 1_000_000:
        return f"{size:,} bytes"
    return f"{size / 1_000_000:,.1f} MB"
