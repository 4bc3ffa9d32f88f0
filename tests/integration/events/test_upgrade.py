"""A database made before the event log upgrades, keeps everything, and is searchable."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from forum import create_app
from forum.extensions import db
from forum.search import services
from forum.search.runtime import get_runtime
from forum.search.store import meta_document
from tests.conftest import (
    PLUGINS,
    POSTGRES_URL,
    _reset_postgres,
    _sqlalchemy_url,
    make_config,
    restore_postgres_template,
)

BEFORE_THE_LOG = "0004"  # the head of the schema before events replaced the search outbox


@pytest.fixture
def old_database(tmp_path: Path) -> str:
    """A database of its own (the suite's shared schema is already at the head)."""
    if POSTGRES_URL:
        url = _sqlalchemy_url(POSTGRES_URL)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'old.db'}"


def test_a_database_from_before_the_event_log_upgrades_and_reindexes(
        old_database: str, migrated_database: str) -> None:
    app = create_app(make_config(old_database), plugins=PLUGINS)
    with app.app_context():
        upgrade(revision=BEFORE_THE_LOG)
        _write_old_rows()
        _write_an_old_index(app)
        upgrade()
        tables = inspect(db.engine).get_table_names()
        assert "events" in tables and "search_outbox" not in tables
        assert db.session.execute(text("SELECT title FROM threads")).scalar() == \
            "Quieter grinder"
        indexer = get_runtime(app).indexer()
        assert indexer.open_or_rebuild() is not None  # the old index is rebuilt
        indexer.run_until_idle()
        found = services.search("grinder", viewer=AnonymousUserMixin())
        assert [hit.title for hit in found.hits] == ["Quieter grinder"]
        db.session.remove()
        get_runtime(app).forget_searcher()
        db.engine.dispose()
    if POSTGRES_URL:
        restore_postgres_template(old_database)


def _write_old_rows() -> None:
    """What the previous release wrote, including a search outbox row never applied."""
    statements = [
        "INSERT INTO users (id, username, email, password_hash, display_name, bio, "
        "is_site_admin, suspension_reason, created_at) VALUES "
        "(1, 'maya', 'maya@example.com', 'x', '', '', false, '', CURRENT_TIMESTAMP)",
        "INSERT INTO companies (id, slug, name, tagline, description, website, logo_url, "
        "created_at) VALUES (1, 'acme', 'Acme', '', '', '', '', CURRENT_TIMESTAMP)",
        "INSERT INTO threads (id, company_id, author_id, kind, title, slug, state, pinned, "
        "post_count, reply_count, created_at, last_posted_at, hidden_reason) VALUES "
        "(1, 1, 1, 'question', 'Quieter grinder', 'quieter-grinder', 'open', false, 1, 0, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '')",
        "INSERT INTO posts (id, thread_id, number, author_id, kind, official, body_source, "
        "body_html, revision_count, created_at, hidden_reason) VALUES (1, 1, 1, 1, 'reply', "
        "false, 'It is loud', '<p>It is loud</p>', 0, CURRENT_TIMESTAMP, '')",
        "INSERT INTO search_outbox (doc_type, doc_id, op, created_at) VALUES "
        "('thread', 1, 'upsert', CURRENT_TIMESTAMP)",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()


def _write_an_old_index(app: Flask) -> None:
    """An index of the previous schema version, whose cursor counted outbox rows."""
    store = get_runtime(app).store
    build, ix = store.create_build()
    writer = ix.writer()
    writer.add_document(**{**meta_document(1), "meta": {"schema": 1, "last_applied": 1}})
    writer.commit()
    store.publish(build)
