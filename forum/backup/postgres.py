"""PostgreSQL: `pg_dump --format=custom` to back up, `pg_restore` through `psql` to restore.

A restore runs in one `psql --single-transaction`: it first drops every table, sequence
and enum type in the public schema (a backup from an older schema lacks the tables later
migrations added, which `pg_restore --clean` alone would leave behind, with their rows),
then loads `pg_restore --clean --if-exists --no-owner --no-privileges`'s script. Any
error rolls all of it back: the database is then as it was.

The tools come from PATH. The password goes to them in PGPASSWORD, never on a command
line that `ps` shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from forum.backup.files import BackupError, Report

_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_DUMPED_BY_RE = re.compile(r"^;\s+Dumped by pg_dump version:\s+(\d+)", re.MULTILINE)
_DUMPING_RE = re.compile(r'dumping contents of table "([^"]+)"')

# Everything the app's schema holds, dropped before the backup's is loaded.
DROP_EVERYTHING = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', item.tablename);
  END LOOP;
  FOR item IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', item.sequencename);
  END LOOP;
  FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', item.typname);
  END LOOP;
END $$;
"""


@dataclass(frozen=True)
class Archive:
    path: Path
    tables: int  # tables with data, for the progress lines
    dumped_by: int  # pg_dump's major version
    revision: str | None


def create(engine: Engine, target: Path, report: Report) -> None:
    """Dump the whole database into `target` in pg_dump's custom format."""
    pg_dump = _tool("pg_dump")
    with engine.connect() as connection:
        server = connection.dialect.server_version_info or (0,)
        tables = connection.execute(text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()
    if (major := _major(pg_dump)) < server[0]:
        raise BackupError(
            f"{pg_dump} is version {major}, older than the PostgreSQL {server[0]} server: "
            f"install PostgreSQL {server[0]}'s client tools and put them first on PATH.")
    conninfo, env = _connection(engine)
    dumped, problems = 0, []
    with subprocess.Popen(  # noqa: S603 (our arguments, no shell)
            [pg_dump, "--format=custom", "--verbose", "--no-password", f"--file={target}",
             f"--dbname={conninfo}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if found := _DUMPING_RE.search(line):
                dumped += 1
                report(f"Dumping table {dumped} of {tables}: {found.group(1)}")
            elif "error" in line.lower() or "fatal" in line.lower():
                problems.append(line)
    if process.returncode != 0:
        raise BackupError(f"pg_dump failed: {_said(problems)}")


def read_archive(path: Path) -> Archive:
    """What a custom-format archive holds: checked readable by pg_restore itself."""
    pg_restore = _tool("pg_restore")
    _tool("psql")  # the restore needs it too: better said before than halfway
    listing = _run([pg_restore, "--list", str(path)], f"{path} is not a readable pg_dump "
                   "archive")
    dumped_by = _DUMPED_BY_RE.search(listing)
    data = _run([pg_restore, "--file=-", "--data-only", "--table=alembic_version",
                 str(path)], f"pg_restore could not read {path}")
    lines = data.splitlines()
    revision = next((lines[index + 1] for index, line in enumerate(lines[:-1])
                     if line.startswith("COPY ") and lines[index + 1] != "\\."), None)
    return Archive(path, listing.count(" TABLE DATA "),
                   int(dumped_by.group(1)) if dumped_by else 0, revision)


def restore(engine: Engine, archive: Archive, report: Report) -> None:
    """Replace everything in the database with the archive's, in one transaction."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    if (major := _major(pg_restore)) < archive.dumped_by:
        raise BackupError(
            f"{pg_restore} is version {major}, and the archive was written by pg_dump "
            f"{archive.dumped_by}: install PostgreSQL {archive.dumped_by}'s client tools.")
    conninfo, env = _connection(engine)
    with tempfile.TemporaryFile("w+") as script_errors, \
            tempfile.TemporaryFile("w+") as load_errors:
        with subprocess.Popen(  # noqa: S603
                [pg_restore, "--file=-", "--clean", "--if-exists", "--no-owner",
                 "--no-privileges", str(archive.path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=script_errors,
                env=env) as script, subprocess.Popen(  # noqa: S603
                [psql, "-X", "--no-password", "--set=ON_ERROR_STOP=1", "--single-transaction",
                 f"--dbname={conninfo}", f"--command={DROP_EVERYTHING}", "--file=-"],
                stdin=script.stdout, stdout=subprocess.PIPE, stderr=load_errors, text=True,
                env=env) as load:
            assert script.stdout is not None and load.stdout is not None
            script.stdout.close()  # psql has it; pg_restore sees a closed pipe if psql stops
            loaded = 0
            for line in load.stdout:
                if line.startswith("COPY "):
                    loaded += 1
                    report(f"Loaded table {loaded} of {archive.tables}")
        loaded_fine, scripted_fine = load.returncode == 0, script.returncode == 0
        if not loaded_fine:
            load_errors.seek(0)
            raise BackupError(f"The restore failed and was rolled back: {_said(load_errors)}")
        if not scripted_fine:
            script_errors.seek(0)
            raise BackupError(f"pg_restore failed: {_said(script_errors)}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install PostgreSQL's client tools (the "
            "server's major version or newer, e.g. the postgresql-client package).")
    return found


def _major(tool: str) -> int:
    said = _run([tool, "--version"], f"{tool} --version failed")
    found = _VERSION_RE.search(said)
    if found is None:
        raise BackupError(f"{tool} --version said {said.strip()!r}, not a PostgreSQL "
                          "version.")
    return int(found.group(1))


def _connection(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment that carries it."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], failure: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        raise BackupError(f"{failure}: {said[0] if said else 'no message'}.")
    return done.stdout


def _said(errors: Iterable[str]) -> str:
    """The first lines a tool wrote about what went wrong."""
    lines = [line.strip() for line in errors if line.strip()]
    return " ".join(lines[:5]) or "no message"
