"""Ideas: the product lifecycle on top of the forum's threads.

`init_app(app)` is the one place ideas plugs into forum: everything it adds to the
platform is registered here, with that app's hooks (see forum.hooks).
"""

from __future__ import annotations

from flask import Flask

from forum.hooks import HomeSection, NavLink, hooks_of
from forum.threads.models import Kind
from ideas import api, changelog, data_export, demo, policy, queries, search_fields, triage
from ideas.events import IDEA_EVENT_TYPES
from ideas.importing.cli import import_cli
from ideas.models import Status
from ideas.notifications import IDEA_MAIL_KINDS, IDEA_NOTIFICATIONS
from ideas.policy import IdeaAction
from ideas.views import bp
from ideas.webhooks import IDEA_WEBHOOK_EVENTS


def init_app(app: Flask) -> None:
    """Register ideas' pages, rules, search fields, profile and home sections, demo,
    links, events and the events webhooks may send."""
    hooks = hooks_of(app)
    hooks.add_blueprint(bp)
    hooks.add_blueprint(api.bp)
    hooks.add_rules(policy.RULES)
    hooks.add_thread_endpoint(Kind.IDEA, "ideas.idea")
    # A changelog entry is an official thread people comment on at forum's thread page.
    hooks.add_thread_endpoint(changelog.KIND, "threads.thread")
    hooks.add_search_extras(search_fields.idea_search_fields,
                            statuses=[(status.value, status.label) for status in Status],
                            company_statuses=search_fields.company_status_choices)
    hooks.add_profile_section(queries.profile_section)
    hooks.add_home_section(HomeSection("ideas", api.HOME_IDEAS, api.home_ideas))
    hooks.add_demo_loader(demo.STEPS, demo.load)
    hooks.add_nav_link("header", NavLink("Ideas", "ideas.trending", 10))
    hooks.add_nav_link("company", NavLink("Ideas", "ideas.board", 10, ("ideas.idea",)))
    hooks.add_nav_link("company", NavLink("Roadmap", "ideas.roadmap", 20))
    hooks.add_nav_link("company", NavLink("Changelog", "ideas.changelog.changelog_page", 25))
    hooks.add_nav_link("manage", NavLink("Tags", "ideas.staff.manage_tags", 40,
                                         action=IdeaAction.MANAGE_TAGS))
    hooks.add_nav_link("manage", NavLink("Ideas inbox", "ideas.triage.inbox", 5,
                                         action=IdeaAction.TRIAGE))
    hooks.add_nav_link("manage", NavLink("Changelog", "ideas.changelog.publish", 45,
                                         action=IdeaAction.PUBLISH_CHANGELOG))
    hooks.add_nav_link("manage", NavLink("Priorities", "ideas.priority.page", 8,
                                         ("ideas.priority.segment",),
                                         action=IdeaAction.PRIORITISE))
    hooks.add_nav_link("manage", NavLink("Statuses", "ideas.statuses.manage_statuses", 35,
                                         ("ideas.statuses.",),
                                         action=IdeaAction.MANAGE_STATUSES))
    hooks.add_nav_link("manage", NavLink("Import", "ideas.importing.upload", 60,
                                         ("ideas.importing.",),
                                         action=IdeaAction.IMPORT_IDEAS))
    hooks.add_manage_section(triage.manage_section, IdeaAction.TRIAGE)
    hooks.add_event_types(IDEA_EVENT_TYPES)
    hooks.add_mail_kinds(IDEA_MAIL_KINDS)
    hooks.add_notification_reasons({"voted": "You voted for this idea.",
                                    "recorded": "The company recorded your vote for this idea."})
    hooks.add_notifications(IDEA_NOTIFICATIONS)
    for personal_file in data_export.PERSONAL_FILES:
        hooks.add_personal_file(personal_file)
    for company_file in data_export.COMPANY_FILES:
        hooks.add_company_file(company_file)
    hooks.add_webhook_events(IDEA_WEBHOOK_EVENTS)
    hooks.add_upload_limit("ideas.importing.upload", "IMPORT_MAX_BYTES")
    app.cli.add_command(import_cli)
