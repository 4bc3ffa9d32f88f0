"""The plug-in seam: registrations belong to one app, and ideas arrives only through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from forum import config, create_app
from forum.api.openapi import document
from forum.events.types import FORUM_EVENT_TYPES
from forum.hooks import EventType, MailKind, NavLink, NotificationText, hooks_of
from forum.policy import ALLOWED
from tests.conftest import PLUGINS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def build(**options: object) -> Flask:
    return create_app(config.TestConfig("sqlite://"), **options)  # type: ignore[arg-type]


def test_two_apps_in_one_process_keep_their_own_registrations() -> None:
    first, second = build(plugins=PLUGINS), build(plugins=PLUGINS)
    hooks_of(first).add_rules({"first_only": lambda _user, _subject: ALLOWED})
    hooks_of(first).add_nav_link("header", NavLink("First", "companies.home", 99))
    assert "first_only" in hooks_of(first).rules
    assert "first_only" not in hooks_of(second).rules
    assert [link.label for link in hooks_of(second).nav("header")] == ["Companies", "Ideas"]
    assert hooks_of(first).search_extras is not hooks_of(second).search_extras


def test_an_app_without_plugins_has_no_ideas() -> None:
    bare = build()
    hooks = hooks_of(bare)
    assert "ideas" not in bare.blueprints
    assert "vote" not in hooks.rules and not hooks.search_extras
    assert not hooks.profile_sections and not hooks.demo_loaders and not hooks.home_sections
    assert set(hooks.event_types) == {kind.name for kind in FORUM_EVENT_TYPES}
    assert [file.name for file in hooks.company_files] == ["threads.csv", "posts.csv"]
    assert "votes.json" not in [file.name for file in hooks.personal_files]
    assert [link.label for link in hooks.nav("company")] == ["Overview", "Forum",
                                                             "Moderation log"]
    assert [link.label for link in hooks.nav("manage")] == [
        "Overview", "Settings", "Staff", "Privacy", "Categories", "Moderation", "Bans",
        "Watched words", "Appeals", "API tokens", "Export", "Webhooks"]
    assert list(hooks.webhook_events) == ["post.created"]
    assert len(hooks.manage_sections) == 1  # the review queue's count
    assert {"post.flagged", "post.restored", "post.flags_dismissed"} <= set(hooks.event_types)
    assert hooks.notifications["post.restored"].mail_kind == "moderation"
    assert hooks.thread_endpoint("idea") == "threads.thread"
    assert "status" not in hooks.mail_kinds and "voted" not in hooks.notification_reasons
    assert "recorded" not in hooks.mail_kinds and "vote.recorded" not in hooks.notifications


def test_ideas_registers_everything_it_adds_once() -> None:
    app = build(plugins=PLUGINS)
    hooks = hooks_of(app)
    assert "ideas" in app.blueprints and "ideas.staff.manage_tags" in app.view_functions
    assert {"propose_idea", "vote", "retract_vote", "record_vote", "change_status",
            "merge_idea", "unmerge_idea", "tag_idea", "manage_tags", "triage_ideas",
            "publish_changelog", "prioritise_ideas", "manage_statuses",
            "import_ideas"} <= set(hooks.rules)
    assert hooks.thread_endpoint("idea") == "ideas.idea"
    assert len(hooks.search_extras) == 1 and "shipped" in hooks.search_statuses
    assert len(hooks.search_company_statuses) == 1
    assert len(hooks.profile_sections) == 1 and len(hooks.demo_loaders) == 1
    assert list(hooks.home_sections) == ["ideas"]
    assert [link.label for link in hooks.nav("company")] == ["Overview", "Ideas", "Roadmap",
                                                             "Changelog", "Forum",
                                                             "Moderation log"]
    assert [link.label for link in hooks.nav("manage")
            if link.endpoint.startswith("ideas.")] == [
        "Ideas inbox", "Priorities", "Statuses", "Tags", "Changelog", "Import"]
    assert set(hooks.event_types) - {kind.name for kind in FORUM_EVENT_TYPES} == {
        "idea.proposed", "idea.status_changed", "idea.merged", "idea.unmerged", "idea.tagged",
        "idea.assigned", "idea.seen", "changelog.published", "tag.created", "tag.deleted",
        "status.created", "status.renamed", "status.moved", "status.removed",
        "vote.cast", "vote.retracted", "vote.recorded", "ideas.imported"}
    assert len(hooks.manage_sections) - len(hooks_of(build()).manage_sections) == 1
    assert list(hooks.webhook_events) == ["post.created", "idea.proposed",
                                          "idea.status_changed", "idea.merged", "vote.cast",
                                          "changelog.published"]
    # After forum's, on the preferences page.
    assert list(hooks.mail_kinds)[-2:] == ["recorded", "status"]
    assert hooks.notification_reasons["voted"] == "You voted for this idea."
    assert hooks.notifications["vote.recorded"].mail_kind == "recorded"
    assert "recorded" in hooks.notification_reasons
    assert hooks.upload_limits == {"ideas.importing.upload": "IMPORT_MAX_BYTES"}
    assert "ideas.imported" not in hooks.notifications  # an import notifies nobody


def test_the_apis_home_describes_the_sections_of_its_own_app() -> None:
    """/me/home's schema in the OpenAPI document holds each plug-in's section, and only
    in the app that has the plug-in."""
    for app, sections in ((build(), []), (build(plugins=PLUGINS), ["ideas"])):
        with app.app_context():
            home = document(app)["components"]["schemas"]["Home"]["properties"]["sections"]
        assert list(home["properties"]) == sections and home["required"] == sections


def test_registering_a_rule_or_event_type_twice_fails_loudly() -> None:
    hooks = hooks_of(build(plugins=PLUGINS))
    with pytest.raises(ValueError, match="vote"):
        hooks.add_rules({"vote": lambda _user, _subject: ALLOWED})
    with pytest.raises(ValueError, match=r"vote\.cast"):
        hooks.add_event_types([EventType("vote.cast", "again")])
    with pytest.raises(ValueError, match="status"):
        hooks.add_mail_kinds([MailKind("status", "again", "now")])
    with pytest.raises(ValueError, match="unknown mail kind"):
        hooks.add_notifications([NotificationText("tag.created", lambda _s, _e: [],
                                                  "x.html", "no-such-kind")])


def test_nav_links_know_their_pages() -> None:
    link = NavLink("Forum", "threads.forum", 30, ("threads.",))
    assert link.is_current("threads.forum") and link.is_current("threads.thread")
    assert not link.is_current("ideas.board") and not link.is_current(None)


def test_every_action_a_template_asks_about_exists() -> None:
    """Templates name actions as strings: a misspelt one fails here, not in production."""
    asked = set()
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for action in re.findall(r"can\(current_user,\s*([^,)]+)", source):
            asked.update(re.findall(r'"(\w+)"', action))  # "a" or `"a" if x else "b"`
    assert len(asked) > 15
    assert asked <= set(hooks_of(build(plugins=PLUGINS)).rules)
