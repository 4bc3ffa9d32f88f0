"""The database layer: SQLite settings, and migrations that match the models."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from forum.extensions import db


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
            "is_site_admin, suspension_reason, session_generation, created_at) VALUES "
            "('ALICE', 'x@example.com', 'x', '', '', false, '', 0, CURRENT_TIMESTAMP)"))
        db.session.commit()
    db.session.rollback()


def test_sqlite_connections_are_safe_for_several_processes(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_foreign_keys_are_enforced(app):
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        db.session.execute(text(
            "INSERT INTO memberships (user_id, company_id, role, created_at) "
            "VALUES (999, 999, 'team', CURRENT_TIMESTAMP)"))
        db.session.commit()
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
