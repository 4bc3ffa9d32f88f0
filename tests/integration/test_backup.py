"""`flask backup create` and `flask backup restore` on the real database, both kinds.

On PostgreSQL these tests run in a database of their own (`<test database>_backup`,
made and migrated once per module), because a restore drops and recreates every table.
"""

from __future__ import annotations

import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import (
    column,
    create_engine,
    delete,
    func,
    inspect,
    select,
    table,
    text,
    update,
)
from sqlalchemy.engine import make_url

from forum import create_app, demo
from forum.accounts.models import User
from forum.backup.files import BackupError, written_atomically
from forum.companies.models import Company
from forum.events.models import Event
from forum.extensions import db
from forum.mail.runtime import get_mail_runtime
from forum.notifications.models import Notification
from forum.pagecache.models import ContentVersion
from forum.search import services as search
from forum.search.runtime import get_runtime
from forum.threads.models import Thread
from tests.conftest import (
    PLUGINS,
    POSTGRES_URL,
    _empty_postgres,
    _reset_postgres,
    _sqlalchemy_url,
    make_config,
)

ALEMBIC_VERSION = table("alembic_version", column("version_num"))
ON_POSTGRES = bool(POSTGRES_URL)
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump and its tools")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files")

# The code's newest schema revision: a backup at it is current, one after it is refused.
HEAD = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations")).get_current_head()


# --- a database of its own on PostgreSQL ----------------------------------------------


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[str]:
    """`<test database>_backup`, migrated, dropped when the module is done."""
    base = make_url(_sqlalchemy_url(POSTGRES_URL))
    url = base.set(database=f"{base.database}_backup")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    own = url.render_as_string(hide_password=False)
    _migrate_to(own, "head")
    yield own
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_uri(database_uri: str, request: pytest.FixtureRequest) -> Iterator[str]:
    if not ON_POSTGRES:
        yield database_uri
        return
    own = request.getfixturevalue("own_postgres")
    yield own
    _empty_postgres(own)


def _migrate_to(url: str, revision: str) -> None:
    """A database at `revision`: on PostgreSQL emptied first, on SQLite a new file."""
    if ON_POSTGRES:
        _reset_postgres(url)
    app = create_app(make_config(url), plugins=PLUGINS)
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


# --- helpers ----------------------------------------------------------------------------


def every_table() -> dict[str, list[tuple]]:
    """Every row of every table the models know, and alembic_version's."""
    tables = [*db.metadata.sorted_tables, ALEMBIC_VERSION]
    with db.engine.connect() as connection:
        return {t.name: sorted((tuple(row) for row in connection.execute(select(*t.c))),
                               key=repr) for t in tables}


def without_site_version(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {**rows, "content_versions": [row for row in rows["content_versions"]
                                         if row[0] != "site"]}


def site_version() -> int:
    return db.session.scalar(
        select(ContentVersion.version).where(ContentVersion.scope == "site")) or 0


def invoke(runner: Any, *args: str, **kwargs: Any) -> Any:
    result = runner.invoke(args=list(args), **kwargs)
    db.session.remove()  # what the command wrote, not this session's snapshot
    return result


def indexed_threads(app: Flask) -> dict[int, str]:
    """thread id -> title of every thread document in the current index."""
    with get_runtime(app).searcher() as searcher:
        return {int(fields["thread_id"]): fields.get("title", "")
                for fields in searcher.all_stored_fields() if fields.get("doc_type") == "thread"}


def indexed_text(app: Flask) -> str:
    with get_runtime(app).searcher() as searcher:
        return " ".join(f"{fields.get('title', '')} {fields.get('body', '')}"
                        for fields in searcher.all_stored_fields())


def found_titles(query: str) -> set[str]:
    return {hit.title for hit in search.search(query, viewer=None).hits}


# --- the round trip ---------------------------------------------------------------------


def test_a_restore_brings_back_every_row_and_an_index_of_them(
        app: Flask, runner: Any, tmp_path: Path, make_thread: Callable, make_reply: Callable,
        notify: Callable[[], int], run_indexer: Callable[[], int]) -> None:
    demo.load()  # people, companies and a private space, ideas, votes, threads, moderation
    assert notify() > 50
    assert get_mail_runtime(app).mailer().run_until_idle().sent > 20
    run_indexer()
    before = every_table()
    filled = [name for name, rows in before.items() if rows]
    assert len(filled) >= 25, f"only {filled} hold rows: the comparison would prove little"
    assert before["alembic_version"] == [(HEAD,)]
    seen = site_version()

    backup = tmp_path / "backups" / "before.db"
    created = invoke(runner, "backup", "create", str(backup))
    assert created.exit_code == 0, created.output
    assert f"Wrote {backup} (" in created.output
    assert re.search(r"(Copied [\d,]+ of [\d,]+ pages|Dumping table \d+ of \d+)",
                     created.output)

    # After the backup: a new thread and reply, rows deleted outright, a hidden one.
    northwind = db.session.scalar(select(Company).where(Company.slug == "northwind"))
    added = make_thread(northwind, title="Zebracorn sightings in the roastery",
                        body="Zebracorn!")
    make_reply(added, body="More zebracorn news.")
    with db.session.begin():
        db.session.execute(delete(Notification))
        db.session.execute(delete(Event).where(Event.id <= 5))
    run_indexer()
    assert "Zebracorn sightings in the roastery" in found_titles("zebracorn")
    assert every_table() != before

    restored = invoke(runner, "backup", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"backup at schema revision {HEAD} (current)" in restored.output
    assert "Indexed 22 threads" in restored.output  # the demo's, the index rebuilt

    after = every_table()
    assert without_site_version(after) == without_site_version(before)
    assert site_version() > max(seen, 1)  # every page kept anywhere is stale

    # The index holds what the restored database holds, and nothing written since.
    threads = {thread.id: thread.title for thread in db.session.scalars(select(Thread))}
    assert indexed_threads(app).items() <= threads.items()
    assert len(indexed_threads(app)) == 22
    assert "zebracorn" not in indexed_text(app).lower()
    assert found_titles("zebracorn") == set()
    assert "How often should I descale the Breeze?" in found_titles("descale")
    # A visitor still finds nothing of the private space the backup holds.
    private = "A deeper drip tray on the Breeze 2 prototype"
    assert private in {thread.title for thread in db.session.scalars(select(Thread))}
    assert private not in found_titles("drip tray")


def test_kept_pages_are_stale_after_a_restore_here_and_in_other_processes(
        app_factory: Callable[..., Flask], app: Flask, make_company: Callable,
        make_thread: Callable, tmp_path: Path) -> None:
    acme = make_company("acme")
    make_thread(acme, title="Before the backup")
    here, elsewhere = (app_factory(PAGE_CACHE_SECONDS=60) for _ in range(2))
    visitor, other_visitor = here.test_client(), elsewhere.test_client()
    for client in (visitor, other_visitor):
        assert client.get("/c/acme/forum").headers["X-Page-Cache"] == "miss"
        assert client.get("/c/acme/forum").headers["X-Page-Cache"] == "hit"
    backup = tmp_path / "acme.db"
    with here.app_context():
        assert invoke(here.test_cli_runner(), "backup", "create", str(backup)).exit_code == 0
    make_thread(acme, title="After the backup")
    page = other_visitor.get("/c/acme/forum")
    assert page.headers["X-Page-Cache"] == "miss" and "After the backup" in page.text

    with here.app_context():
        result = invoke(here.test_cli_runner(), "backup", "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    for client in (visitor, other_visitor):
        page = client.get("/c/acme/forum")
        assert page.headers["X-Page-Cache"] == "miss"
        assert "Before the backup" in page.text and "After the backup" not in page.text


def test_a_backup_taken_while_someone_writes_holds_what_was_committed(
        runner: Any, make_user: Callable, tmp_path: Path) -> None:
    make_user("alice", display_name="Alice as committed")
    backup = tmp_path / "during"
    with db.engine.connect() as writer:  # another worker, in the middle of a write
        writer.begin()
        writer.execute(update(User).values(display_name="Alice uncommitted"))
        result = invoke(runner, "backup", "create", str(backup))
        assert result.exit_code == 0, result.output  # not held up by the writer
        writer.commit()
    assert invoke(runner, "backup", "restore", str(backup), "--yes").exit_code == 0
    assert db.session.scalar(select(User.display_name)) == "Alice as committed"


def test_restore_asks_first_and_leaves_everything_when_told_no(
        runner: Any, make_user: Callable, tmp_path: Path) -> None:
    make_user("kept")
    backup = tmp_path / "b"
    assert invoke(runner, "backup", "create", str(backup)).exit_code == 0
    make_user("added")
    answered_no = invoke(runner, "backup", "restore", str(backup), input="n\n")
    assert answered_no.exit_code == 1
    assert "This replaces everything in" in answered_no.output
    assert "Aborted" in answered_no.output
    assert len(every_table()["users"]) == 2
    answered_yes = invoke(runner, "backup", "restore", str(backup), input="y\n")
    assert answered_yes.exit_code == 0, answered_yes.output
    assert len(every_table()["users"]) == 1


# --- where backups go -------------------------------------------------------------------


def test_create_writes_under_instance_backups_and_never_overwrites_without_force(
        app: Flask, runner: Any, make_user: Callable, tmp_path: Path) -> None:
    app.instance_path = str(tmp_path / "instance")
    make_user("alice")
    result = invoke(runner, "backup", "create")
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "instance" / "backups").iterdir()
    assert re.fullmatch(r"cocreate-\d{8}T\d{6}Z\.(db|dump)", written.name)
    assert f"Wrote {written} (" in result.output
    size = written.stat().st_size

    make_user("bob")
    again = invoke(runner, "backup", "create", str(written))
    assert again.exit_code == 1
    assert f"{written} already exists; use --force to overwrite it." in again.output
    assert "Traceback" not in again.output and written.stat().st_size == size
    forced = invoke(runner, "backup", "create", str(written), "--force")
    assert forced.exit_code == 0, forced.output
    assert [path.name for path in written.parent.iterdir()] == [written.name]  # no .partial


def test_a_backup_that_fails_halfway_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "backups" / "half.db"
    with pytest.raises(BackupError, match="the copy broke"), \
            written_atomically(target, force=False) as partial:
        partial.write_bytes(b"half of a backup")
        assert not target.exists()
        raise BackupError("the copy broke")
    assert list(target.parent.iterdir()) == []


# --- refusals ---------------------------------------------------------------------------


def test_restore_refuses_a_missing_file_or_one_of_another_kind(
        runner: Any, tmp_path: Path) -> None:
    users = every_table()["users"]
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    expected = "not a pg_dump archive" if ON_POSTGRES else "not an SQLite database"
    other = tmp_path / ("other.db" if ON_POSTGRES else "other.dump")
    if ON_POSTGRES:
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
        wrong_kind = "it is an SQLite database, a backup of a SQLite database, and this " \
                     "Cocreate uses PostgreSQL"
    else:
        other.write_bytes(b"PGDMP" + bytes(200))
        wrong_kind = "it is a pg_dump archive, a backup of a PostgreSQL database, and " \
                     "this Cocreate uses SQLite"
    for path, message in [(tmp_path / "nowhere.db", "does not exist."),
                          (text_file, expected), (other, wrong_kind)]:
        result = invoke(runner, "backup", "restore", str(path), "--yes")
        assert result.exit_code == 1
        assert message in result.output and "Traceback" not in result.output
    assert every_table()["users"] == users


def test_restore_refuses_a_damaged_file_of_the_right_kind(runner: Any, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    header = b"PGDMP" if ON_POSTGRES else b"SQLite format 3\x00"
    damaged.write_bytes(header + b"\x07" * 5000)
    result = invoke(runner, "backup", "restore", str(damaged), "--yes")
    assert result.exit_code == 1
    readable = "not a readable pg_dump archive" if ON_POSTGRES else \
        "not a readable SQLite database"
    assert readable in result.output and "Traceback" not in result.output


def test_restore_refuses_a_backup_from_a_newer_schema(
        runner: Any, make_user: Callable, tmp_path: Path) -> None:
    make_user("alice")
    backup = tmp_path / "future"
    with db.engine.begin() as connection:
        connection.execute(ALEMBIC_VERSION.update().values(version_num="0999_future"))
    assert invoke(runner, "backup", "create", str(backup)).exit_code == 0
    with db.engine.begin() as connection:
        connection.execute(ALEMBIC_VERSION.update().values(version_num=HEAD))
    make_user("bob")

    result = invoke(runner, "backup", "restore", str(backup), "--yes")
    assert result.exit_code == 1
    assert ("has schema revision 0999_future, which this code does not know (its newest "
            f"is {HEAD}): the backup comes from a newer Cocreate") in result.output
    assert len(every_table()["users"]) == 2


def test_a_backup_from_an_older_schema_is_migrated_after_the_restore(
        app: Flask, runner: Any, database_uri: str, make_user: Callable,
        tmp_path: Path) -> None:
    older = tmp_path / "older"
    if ON_POSTGRES:
        db.engine.dispose()
        _migrate_to(database_uri, "0018")
        assert invoke(runner, "backup", "create", str(older)).exit_code == 0
        db.engine.dispose()
        _migrate_to(database_uri, "head")
    else:  # an SQLite database at 0018 is itself a backup of one
        _migrate_to(f"sqlite:///{older}", "0018")
    make_user("alice")
    assert "company_guests" in inspect(db.engine).get_table_names()

    result = invoke(runner, "backup", "restore", str(older), "--yes")
    assert result.exit_code == 0, result.output
    assert "backup at schema revision 0018 (older than the code's; it will be migrated)" \
        in result.output
    assert f"Migrating from 0018 to {HEAD}..." in result.output
    assert every_table()["alembic_version"] == [(HEAD,)]
    assert every_table()["users"] == []  # the backup's, not what was here
    assert db.session.scalar(select(func.count()).select_from(
        table("company_guests"))) == 0  # made again by the migration


# --- PostgreSQL's tools -----------------------------------------------------------------


@postgres_only
def test_create_says_when_pg_dump_is_missing(runner: Any, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke(runner, "backup", "create", str(tmp_path / "b.dump"))
    assert result.exit_code == 1
    assert "pg_dump was not found on PATH: install PostgreSQL's client tools" in result.output


def _fake_tool(directory: Path, name: str, script: str) -> None:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@postgres_only
def test_create_refuses_a_pg_dump_older_than_the_server(
        runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path / "bin", "pg_dump", 'echo "pg_dump (PostgreSQL) 9.6.24"\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    result = invoke(runner, "backup", "create", str(tmp_path / "b.dump"))
    assert result.exit_code == 1
    assert re.search(r"is version 9, older than the PostgreSQL \d+ server: install "
                     r"PostgreSQL \d+'s client tools", result.output)


@postgres_only
def test_a_pg_dump_that_fails_halfway_leaves_no_file(
        runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path / "bin", "pg_dump", """
if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi
for argument; do
  case "$argument" in --file=*) echo "PGDMP half" > "${argument#--file=}";; esac
done
echo 'pg_dump: dumping contents of table "public.users"' >&2
echo "pg_dump: error: connection to server lost" >&2
exit 1
""")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    backups = tmp_path / "backups"
    result = invoke(runner, "backup", "create", str(backups / "b.dump"))
    assert result.exit_code == 1
    assert "Dumping table 1 of" in result.output
    assert "pg_dump failed: pg_dump: error: connection to server lost" in result.output
    assert list(backups.iterdir()) == []
