"""The public moderation log: every action on public content with its reason category,
date and a link to the stub, and nothing private (notes, flaggers, moderators)."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.moderation import flags, hiding
from forum.threads.models import Post
from tests.helpers import assert_queries_stay_flat
from tests.integration.moderation.conftest import thread_page


def log(client) -> str:
    response = client.get("/c/acme/moderation-log")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anyone_reads_what_the_moderators_did_and_why(client, scene, make_user):
    assert "have not had to act" in log(client)
    flagger = make_user("flaggy")
    flags.flag_post(flagger, scene.reply, "spam", "")
    hiding.hide_post(scene.moderator, scene.reply, "personal_information",
                     "It showed her phone number 555-0100.")
    hiding.restore_post(scene.moderator, scene.reply, "The number was a shop's.")
    page = log(client)
    rows = page[page.index("<tbody>"):page.index("</tbody>")]
    assert rows.index("Restored") < rows.index("Hidden")  # newest first
    assert "personal information" in rows
    assert f'href="{thread_page(scene.thread)}#post-2"' in rows
    assert "a reply in “Where is the filter?”" in rows
    for private in ("555-0100", "a shop", "flaggy", "mona"):
        assert private not in page


def test_a_removed_thread_is_not_linked_nor_named(client, scene):
    opening = db.session.scalar(select(Post).where(Post.thread_id == scene.thread.id,
                                                   Post.number == 1))
    hiding.hide_post(scene.moderator, opening, "spam", "")
    page = log(client)
    assert "a thread that was removed" in page and "Where is the filter?" not in page


def test_the_log_costs_the_same_whatever_its_length(client, scene, make_reply, count_queries):
    def grow(count: int) -> None:
        for _ in range(count):
            reply = make_reply(scene.thread, author=scene.author)
            hiding.hide_post(scene.moderator, reply, "spam", "")

    assert_queries_stay_flat(client, count_queries, "/c/acme/moderation-log", grow)
