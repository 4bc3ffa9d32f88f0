"""Cocreate: the platform and its discussion engine."""

from __future__ import annotations

from typing import Any

from flask import Flask

from forum import models
from forum.accounts.sessions import load_session_user
from forum.accounts.views import bp as accounts_bp
from forum.admin.views import bp as admin_bp
from forum.cli import register_commands
from forum.companies.views import bp as companies_bp
from forum.config import INSTANCE_DIR, ROOT, Config
from forum.database import configure_database
from forum.errors import configure_errors
from forum.events.types import FORUM_EVENT_TYPES, register_event_types
from forum.events.views import bp as audit_bp
from forum.extensions import csrf, db, htmx, limiter, login_manager, migrate
from forum.pagecache.cache import configure_page_cache
from forum.routing import configure_routing
from forum.search.views import bp as search_bp
from forum.templating import configure_templates
from forum.threads.staff_views import bp as thread_staff_bp
from forum.threads.views import bp as threads_bp
from forum.web import configure_web
from ideas.views import bp as ideas_bp  # the one place forum knows about ideas

__all__ = ["create_app"]


def create_app(config: Any = None) -> Flask:
    """Build the app: no migrations, no network, no prompts; just the wiring."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config if config is not None else Config())
    configure_database(app)
    register_event_types(app, FORUM_EVENT_TYPES)
    configure_extensions(app)
    configure_routing(app)
    configure_blueprints(app)
    configure_templates(app)
    configure_errors(app)
    configure_web(app)
    configure_page_cache(app)
    configure_cli(app)
    return app


def configure_extensions(app: Flask) -> None:
    assert models.__all__, "every table is registered before Alembic looks"
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.signin"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)


def configure_blueprints(app: Flask) -> None:
    for blueprint in (accounts_bp, companies_bp, admin_bp, audit_bp, threads_bp,
                      thread_staff_bp, search_bp, ideas_bp):
        app.register_blueprint(blueprint)


def configure_cli(app: Flask) -> None:
    register_commands(app)
