"""Cocreate: the platform and its discussion engine.

Forum knows no plug-in by name: `create_app(plugins=[ideas.init_app])` (see wsgi.py) is
told what to plug in, and each plug-in registers itself through forum.hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask

from forum import models
from forum.accounts.identity_views import bp as identities_bp
from forum.accounts.oidc import configure_oidc
from forum.accounts.sessions import load_session_user
from forum.accounts.views import bp as accounts_bp
from forum.admin.views import bp as admin_bp
from forum.api.personal import bp as api_personal_bp
from forum.api.resources import bp as api_bp
from forum.api.setup import configure_api
from forum.api.views import bp as api_tokens_bp
from forum.cli import register_commands
from forum.companies.views import bp as companies_bp
from forum.config import INSTANCE_DIR, ROOT, Config
from forum.database import configure_database
from forum.dataexport import register as register_exports
from forum.errors import configure_errors
from forum.events.types import FORUM_EVENT_TYPES
from forum.events.views import bp as audit_bp
from forum.extensions import csrf, db, htmx, limiter, login_manager, migrate
from forum.health import bp as health_bp
from forum.hooks import Hooks, NavLink, Plugin, init_hooks
from forum.mail.views import configure_mail
from forum.moderation.ban_views import bp as bans_bp
from forum.moderation.views import bp as moderation_bp
from forum.moderation.views import manage_section as moderation_section
from forum.moderation.watched_views import bp as watched_words_bp
from forum.notifications.texts import FORUM_MAIL_KINDS, FORUM_NOTIFICATIONS, FORUM_REASONS
from forum.notifications.views import configure_notifications
from forum.pagecache.cache import configure_page_cache
from forum.policy import Action
from forum.policy.rules import FORUM_RULES
from forum.routing import configure_routing
from forum.search.views import bp as search_bp
from forum.templating import configure_templates
from forum.threads.fragments import configure_post_fragments
from forum.threads.staff_views import bp as thread_staff_bp
from forum.threads.views import bp as threads_bp
from forum.web import configure_web
from forum.webhooks.views import configure_webhooks

__all__ = ["create_app"]


def create_app(config: Any = None, plugins: Sequence[Plugin] = ()) -> Flask:
    """Build the app: no migrations, no network, no prompts; just the wiring.

    Each of `plugins` (an `init_app(app)`) is called once, after forum registered its
    own hooks and before any blueprint is registered."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(config if config is not None else Config())
    hooks = init_hooks(app)
    configure_database(app)
    configure_extensions(app)
    configure_routing(app)
    configure_forum_hooks(hooks)
    configure_webhooks(app)
    for plugin in plugins:
        plugin(app)
    configure_blueprints(app, hooks)
    configure_api(app)
    configure_templates(app)
    configure_errors(app)
    configure_web(app)
    configure_notifications(app)
    configure_mail(app)
    configure_oidc(app)
    configure_page_cache(app)
    configure_post_fragments(app)
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


def configure_forum_hooks(hooks: Hooks) -> None:
    """Forum's own rules, thread page and navigation, registered like a plug-in's."""
    hooks.add_rules(FORUM_RULES)
    hooks.add_event_types(FORUM_EVENT_TYPES)
    hooks.add_mail_kinds(FORUM_MAIL_KINDS)
    hooks.add_notification_reasons(FORUM_REASONS)
    hooks.add_notifications(FORUM_NOTIFICATIONS)
    hooks.add_thread_endpoint("*", "threads.thread")
    hooks.add_nav_link("header", NavLink("Companies", "companies.home", 0))
    hooks.add_nav_link("company", NavLink("Overview", "companies.company", 0))
    hooks.add_nav_link("company", NavLink("Forum", "threads.forum", 30, ("threads.",)))
    hooks.add_nav_link("company", NavLink("Moderation log", "moderation.public_log", 90))
    for position, (label, endpoint, action) in enumerate([
            ("Overview", "companies.manage", None),
            ("Settings", "companies.settings", Action.EDIT_COMPANY),
            ("Staff", "companies.staff", Action.MANAGE_STAFF),
            ("Categories", "thread_staff.manage_categories", Action.MANAGE_CATEGORIES)]):
        hooks.add_nav_link("manage", NavLink(label, endpoint, position * 10, action=action))
    hooks.add_nav_link("manage", NavLink("Privacy", "companies.privacy_page", 25,
                                         action=Action.MANAGE_GUESTS))
    hooks.add_nav_link("manage", NavLink("Moderation", "moderation.queue", 35,
                                         action=Action.MODERATE))
    hooks.add_nav_link("manage", NavLink("Appeals", "moderation.appeals_page", 36,
                                         action=Action.MODERATE))
    hooks.add_nav_link("manage", NavLink("Bans", "bans.bans_page", 35,
                                         action=Action.MODERATE))
    hooks.add_nav_link("manage", NavLink("Watched words", "watched_words.words", 35,
                                         action=Action.MANAGE_WATCHED_WORDS))
    hooks.add_nav_link("manage", NavLink("API tokens", "api_tokens.company", 60,
                                         action=Action.MANAGE_API_TOKENS))
    hooks.add_manage_section(moderation_section, Action.MODERATE)
    register_exports(hooks)


def configure_blueprints(app: Flask, hooks: Hooks) -> None:
    for blueprint in (accounts_bp, identities_bp, companies_bp, admin_bp, audit_bp, threads_bp,
                      thread_staff_bp, moderation_bp, bans_bp, watched_words_bp, search_bp,
                      health_bp, api_bp, api_personal_bp, api_tokens_bp,
                      *hooks.blueprints):
        app.register_blueprint(blueprint)


def configure_cli(app: Flask) -> None:
    register_commands(app)
