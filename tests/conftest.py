"""Fixtures in the flaskr style: app, client, runner, auth, plus data factories.

The schema is built once per run with the real Alembic migrations. Each test then gets a
fresh database: on SQLite a copy of the migrated file, on PostgreSQL (TEST_DATABASE_URL)
the migrated schema emptied after the test.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, select, text

import ideas
from forum import create_app
from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.companies import services as companies
from forum.companies.models import Company
from forum.config import TestConfig
from forum.extensions import db
from forum.mail.runtime import get_mail_runtime
from forum.notifications.runtime import get_notifier_runtime
from forum.search.runtime import get_runtime
from forum.threads import categories, posting
from forum.threads.models import Category, Post, Thread
from ideas import services as idea_services
from tests.smtp import SmtpServer

PASSWORD = "correct horse battery"
PLUGINS = [ideas.init_app]  # as wsgi.py plugs them in


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database, `<name>_gw0` and
    so on, made when missing; the environment is set too, so modules that read the URL
    and processes the tests start use the same one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    mine = base.set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = mine
    return mine


def _sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(?:ql)?://", "postgresql+psycopg://", url)


POSTGRES_URL = _database_of_this_worker(os.environ.get("TEST_DATABASE_URL", ""))


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def restore_postgres_template(url: str) -> None:
    """After a test that built its own schema on PostgreSQL: the migrated one back, which
    the rest of the suite expects."""
    _reset_postgres(url)
    with create_app(make_config(url), plugins=PLUGINS).app_context():
        upgrade()
        db.engine.dispose()


def make_config(database_uri: str, **overrides: Any) -> TestConfig:
    config = TestConfig(database_uri)
    config.WTF_CSRF_ENABLED = False
    config.RATELIMIT_ENABLED = False
    # Factories post quickly and a lot; the limit tests set these back.
    config.POST_MIN_INTERVAL_SECONDS = 0
    config.NEW_ACCOUNT_POSTS_PER_DAY = config.NEW_ACCOUNT_THREADS_PER_DAY = 100_000
    config.RESPONSIVENESS_CACHE_SECONDS = 0  # figures as of now; one test turns it on
    config.PAGE_CACHE_SECONDS = 0  # every page rendered; tests/integration/pagecache turn it on
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def _migrate(database_uri: str) -> None:
    app = create_app(make_config(database_uri), plugins=PLUGINS)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The migrated template: a SQLite file to copy, or the PostgreSQL URL."""
    if POSTGRES_URL:
        url = _sqlalchemy_url(POSTGRES_URL)
        _reset_postgres(url)
        _migrate(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(autouse=True)
def search_index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every app a test builds (and every server it starts) keeps its index here."""
    path = tmp_path / "search-index"
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(path))
    return path


@pytest.fixture
def run_indexer(app: Flask) -> Callable[[], int]:
    """`run_indexer()`: build the index if there is none, then apply the whole event log."""

    def run() -> int:
        indexer = get_runtime(app).indexer()
        assert indexer.open_or_rebuild() is not None
        return indexer.run_until_idle()

    return run


@pytest.fixture
def database_uri(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    if POSTGRES_URL:
        yield migrated_database
        _empty_postgres(migrated_database)
        return
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_database, path)
    yield f"sqlite:///{path}"


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = [name for (name,) in connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"))]
        if tables:
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as production does.

    Tests keep an app context pushed to call services; without this, Flask would reuse
    it for requests, sharing `g`, the signed-in user and the database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app_factory(database_uri: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database with config overrides (CSRF, rate limits...)."""
    apps: list[Flask] = []

    def build(*, plugins: Any = PLUGINS, **overrides: Any) -> Flask:
        overrides.setdefault("MAIL_DIRECTORY", str(tmp_path / "mail"))
        overrides.setdefault("IMPORT_DIR", str(tmp_path / "imports"))
        app = create_app(make_config(database_uri, **overrides), plugins=plugins)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        # A thread left running would read and lock the next test's database (on
        # PostgreSQL every test shares one): stop each app's worker threads first.
        get_notifier_runtime(app).stop()
        get_mail_runtime(app).stop()
        get_runtime(app).stop_indexer_thread()
        get_runtime(app).wait_for_rebuild()  # a page that found no index started one
        get_runtime(app).forget_searcher()  # its index files are open until closed
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Iterator[Flask]:
    app = app_factory()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[Callable[..., SmtpServer]]:
    """`smtp_server(tls=..., login=...)`: a real SMTP server on loopback, stopped after."""
    servers: list[SmtpServer] = []

    def start(*, tls: bool = False, login: tuple[str, str] | None = None) -> SmtpServer:
        server = SmtpServer(tls_directory=tmp_path if tls else None, login=login).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp(app: Flask, smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server this test's app sends to."""
    server = smtp_server()
    app.config["MAIL_URL"] = server.url()
    return server


@pytest.fixture
def send(app: Flask) -> Callable[[], None]:
    """`send()`: send what is queued (account mail, notifications' mail) to `smtp`."""

    def run() -> None:
        db.session.commit()
        get_mail_runtime(app).mailer().run_until_idle()

    return run


@pytest.fixture
def notify(app: Flask) -> Callable[[], int]:
    """`notify()`: run the notifier over everything recorded so far."""

    def run() -> int:
        db.session.commit()
        return get_notifier_runtime(app).notifier().run_until_idle()

    return run


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def signin(self, login: str, password: str = PASSWORD, remember: bool = False) -> Any:
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/signin", data=data)

    def signout(self) -> Any:
        return self._client.post("/signout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, *, admin: bool = False, confirmed: bool = True,
             **profile: str) -> User:
        username = username or f"user{next(counter)}"
        user = accounts.register(username, f"{username}@example.com", PASSWORD,
                                 site_admin=admin, email_confirmed=confirmed)
        if profile:
            accounts.update_profile(user, user, profile.get("display_name", ""),
                                    profile.get("bio", ""))
        return user

    return make


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("root", admin=True)


@pytest.fixture
def make_company(admin: User) -> Callable[..., Company]:
    counter = iter(range(1, 10_000))

    def make(slug: str | None = None, *, owner: User | None = None, **fields: str) -> Company:
        slug = slug or f"company{next(counter)}"
        return companies.create_company(
            admin, name=fields.get("name", slug.title()), slug=slug,
            tagline=fields.get("tagline", ""), description=fields.get("description", ""),
            owner=owner,
        )

    return make


@pytest.fixture
def make_staff(admin: User, make_user: Callable[..., User]) -> Callable[..., User]:
    def make(company: Company, role: str, username: str | None = None) -> User:
        user = make_user(username)
        companies.set_staff_role(admin, company, user.username, role)
        return user

    return make


@pytest.fixture
def make_category(admin: User) -> Callable[..., Category]:
    def make(company: Company, slug: str = "general", name: str | None = None) -> Category:
        return categories.save_category(admin, company, name=name or slug.title(), slug=slug)

    return make


@pytest.fixture
def make_thread(make_user: Callable[..., User], make_company: Callable[..., Company],
                make_category: Callable[..., Category]) -> Callable[..., Thread]:
    """A thread with its opening post; company, category and author made when not given."""
    counter = iter(range(1, 100_000))

    def make(company: Company | None = None, *, author: User | None = None,
             category: Category | None = None, title: str = "How do I descale the Breeze?",
             body: str | None = None, kind: str = "question", official: bool = False) -> Thread:
        body = body or f"It says descale but the manual is vague (#{next(counter)})."
        company = company or make_company()
        category = category or db.session.scalar(
            select(Category).where(Category.company_id == company.id)) or make_category(company)
        return posting.start_thread(author or make_user(), company, title=title, body=body,
                                    kind=kind, category=category, official=official)

    return make


@pytest.fixture
def make_reply(make_user: Callable[..., User]) -> Callable[..., Post]:
    counter = iter(range(1, 100_000))

    def make(thread: Thread, *, author: User | None = None, body: str | None = None,
             official: bool = False) -> Post:
        return posting.post_reply(author or make_user(), thread,
                                  body or f"Reply number {next(counter)}", official=official)

    return make


@pytest.fixture
def make_idea(make_user: Callable[..., User], make_company: Callable[..., Company]) -> Callable:
    """An idea proposed through the service (its proposer's vote counts at once)."""
    counter = iter(range(1, 100_000))

    def make(company: Company | None = None, *, author: User | None = None,
             title: str | None = None, body: str | None = None,
             tag_ids: list[int] | None = None) -> Any:
        number = next(counter)
        return idea_services.propose_idea(author or make_user(), company or make_company(),
                                  title=title or f"Idea number {number} for the product",
                                  body=body or f"Because it would help (#{number}).",
                                  tag_ids=tag_ids)

    return make


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """`with count_queries() as queries:` then `len(queries)`: SQL statements run."""

    @contextmanager
    def counting(of: Flask | None = None) -> Iterator[list[str]]:
        """On this test's app, or on another app `of` (a second process, say)."""
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                statements.append(statement)

        with (of or app).app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
