"""The database layer: SQLite settings, and migrations that match the models."""

from __future__ import annotations

import fcntl
import os
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from forum import database
from forum.accounts.models import User
from forum.database import WRITE_OPTION, write_transaction
from forum.extensions import db
from ideas.merging import merge_ideas
from ideas.models import Idea
from ideas.services import change_status


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes (lower(username)) cannot be reflected; the migration owns them
        # and test_usernames_are_unique_whatever_their_case proves they exist.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        warnings.filterwarnings("ignore", message=".*functional index")
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_usernames_are_unique_whatever_their_case(app, make_user):
    make_user("alice")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        db.session.execute(text(
            "INSERT INTO users (username, email, password_hash, display_name, bio, "
            "is_site_admin, suspension_reason, created_at) VALUES "
            "('ALICE', 'x@example.com', 'x', '', '', false, '', CURRENT_TIMESTAMP)"))
        db.session.commit()
    db.session.rollback()


def test_sqlite_connections_are_safe_for_several_processes(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def insert_orphan_membership() -> None:
    db.session.execute(text(
        "INSERT INTO memberships (user_id, company_id, role, created_at) "
        "VALUES (999, 999, 'team', CURRENT_TIMESTAMP)"))
    db.session.commit()


def test_foreign_keys_are_enforced(app):
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        insert_orphan_membership()
    db.session.rollback()


def test_migrations_go_down_to_nothing_and_up_again(app, make_user):
    make_user("alice")
    db.session.commit()
    db.session.remove()
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    with db.engine.connect() as connection:
        tables = set(db.inspect(connection).get_table_names())
    assert set(db.metadata.tables) <= tables


# --- SQLite writers take turns on a file lock (forum.database._WriterQueue) ---------


@pytest.fixture
def database_file(app) -> str:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite writers only")
    return db.engine.url.database


def turn_is_free(database_file: str) -> bool:
    """Whether another process could take the writers' turn now."""
    descriptor = os.open(f"{database_file}-writers", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # and with it the lock, if it was taken
    return True


def test_a_writer_keeps_its_turn_until_it_has_committed(app, database_file, make_user):
    user = make_user("alice")
    db.session.commit()
    assert turn_is_free(database_file)
    with write_transaction():
        assert not turn_is_free(database_file)
        user.bio = "Writes in turn."
    assert turn_is_free(database_file)
    db.session.scalar(text("SELECT count(*) FROM users"))  # a read takes no turn
    assert turn_is_free(database_file)


def test_a_writer_that_fails_gives_its_turn_back(app, database_file):
    with pytest.raises(Exception, match=r"(?i)foreign key"), write_transaction():
        insert_orphan_membership()
    assert turn_is_free(database_file)

    connection = db.engine.connect().execution_options(**{WRITE_OPTION: True})
    transaction = connection.begin()
    assert not turn_is_free(database_file)
    connection.invalidate()  # a connection lost mid-transaction
    assert turn_is_free(database_file)
    transaction.rollback()
    connection.close()


def test_a_turn_never_given_back_only_delays_a_writer(app, database_file, make_user,
                                                      monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    user = make_user("alice")
    db.session.commit()
    holder = os.open(f"{database_file}-writers", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # taken by something that does not write
    try:
        # Waits 50 ms, then SQLite alone decides, and nothing is in its way.
        with write_transaction():
            user.bio = "Written anyway."
    finally:
        os.close(holder)
    db.session.expire_all()
    assert db.session.get(User, user.id).bio == "Written anyway."


def test_a_nested_write_transaction_commits_once_with_the_outer_one(app, make_user):
    user = make_user("alice")
    with write_transaction():
        user.bio = "outer"
        with write_transaction():
            user.display_name = "Inner"
        assert db.session().in_transaction(), "the inner block did not commit"
    db.session.rollback()
    db.session.expire_all()
    assert (user.bio, user.display_name) == ("outer", "Inner")


def test_a_failure_inside_rolls_everything_back_even_when_caught_outside(app, make_user):
    user = make_user("alice")
    with write_transaction():
        user.bio = "half done"
        try:
            with write_transaction():
                user.display_name = "Never"
                raise ValueError("refused")
        except ValueError:
            pass  # the caller shows the refusal; nothing of it may be committed
    db.session.expire_all()
    assert (user.bio, user.display_name) == ("", "")


def test_existing_ideas_keep_their_status_and_its_meaning_through_0012(app, make_company,
                                                                       make_idea, make_staff):
    company = make_company("acme")
    team = make_staff(company, "team")
    made = {}
    for status in ("open", "under_review", "planned", "in_progress", "shipped", "declined"):
        made[status] = make_idea(company).id
        if status != "open":
            change_status(team, db.session.get(Idea, made[status]), status)
    made["duplicate"] = make_idea(company).id
    merge_ideas(team, db.session.get(Idea, made["duplicate"]), db.session.get(Idea, made["open"]))
    db.session.remove()
    downgrade(revision="0010")
    with db.engine.connect() as connection:
        inspector = db.inspect(connection)
        assert "idea_statuses" not in inspector.get_table_names()
        columns = {column["name"] for column in inspector.get_columns("ideas")}
        assert "status_category" not in columns
    upgrade()
    found = dict(db.session.execute(text("SELECT status, status_category FROM ideas")).all())
    assert found == {"open": "open", "under_review": "open", "planned": "active",
                     "in_progress": "active", "shipped": "complete", "declined": "closed",
                     "duplicate": "closed"}
    assert db.session.scalar(text("SELECT count(*) FROM idea_statuses")) == 0  # built-in list
