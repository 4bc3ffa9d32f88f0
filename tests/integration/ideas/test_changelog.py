"""The changelog: publishing ships the linked ideas and tells their voters, the public
page and its Atom feed show it, and only the product team publishes."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.moderation import hiding
from forum.threads.models import Post
from ideas import changelog, merging
from ideas import services as ideas
from ideas.models import ChangelogEntry, Idea
from ideas.votes import cast_vote
from tests.helpers import heard

ATOM = "{http://www.w3.org/2005/Atom}"


def test_publishing_ships_the_linked_ideas_and_tells_every_voter(
        client, auth, team, acme, make_idea, make_user, notify):
    planned, done = make_idea(acme, title="Dark mode"), make_idea(acme, title="Export")
    early, late = make_user("early"), make_user("late")
    cast_vote(early, planned)
    cast_vote(late, done)
    ideas.change_status(team, planned, "planned", "Soon.")
    ideas.change_status(team, done, "shipped", "Already out.")
    notify()
    before = {user: len(heard(user)) for user in (early, late)}
    auth.signin("tess")
    response = client.post("/c/acme/manage/changelog", data={
        "title": "March release", "body": "**Dark mode** and more.",
        "ideas": [str(planned.thread_id), str(done.thread_id)]})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Idea, planned.id).status == "shipped"
    notify()
    assert heard(early)[before[early]:] == ["idea.status_changed"]  # "is now shipped"
    assert heard(late)[before[late]:] == ["changelog.published"]  # shipped already: told
    page = client.get("/c/acme/changelog").get_data(as_text=True)
    assert "March release" in page and "<strong>Dark mode</strong>" in page
    assert "Dark mode</a>" in page and "Export</a>" in page


def test_the_feed_is_atom_with_each_entry(client, team, acme, make_idea):
    idea = make_idea(acme, title="Dark <b>mode</b>")
    changelog.publish(team, acme, title="March <release>", body="Shipped it.",
                      idea_thread_ids=[idea.thread_id])
    response = client.get("/c/acme/changelog.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.get_data())  # noqa: S314 (our own feed)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "March <release>"
    content = entry.findtext(f"{ATOM}content")
    assert "<p>Shipped it.</p>" in content
    assert "Dark &lt;b&gt;mode&lt;/b&gt;" in content  # a title is text in the HTML, never markup
    link = entry.find(f"{ATOM}link").get("href")
    assert link.startswith("http://localhost/c/acme/t/")


def test_a_foreign_or_merged_idea_publishes_nothing(client, auth, team, acme, make_idea,
                                                    make_company):
    foreign = make_idea(make_company("other"))
    original, duplicate = make_idea(acme), make_idea(acme)
    merging.merge_ideas(team, duplicate, original)
    auth.signin("tess")
    for linked, status in ((foreign, 404), (duplicate, 422)):
        response = client.post("/c/acme/manage/changelog", data={
            "title": "Release", "body": "Text.", "ideas": [str(linked.thread_id)]})
        assert response.status_code == status
    assert db.session.scalar(select(ChangelogEntry.id)) is None


@pytest.mark.parametrize("who", ["customer", "moderator"])
def test_only_the_product_team_publishes(client, auth, acme, make_user, make_staff, who):
    if who == "moderator":
        make_staff(acme, "moderator", "mod")
    else:
        make_user("mod")
    auth.signin("mod")
    assert client.get("/c/acme/manage/changelog").status_code == 403
    response = client.post("/c/acme/manage/changelog", data={"title": "X", "body": "Y"})
    assert response.status_code == 403
    assert db.session.scalar(select(ChangelogEntry.id)) is None


def test_entries_are_threads_people_comment_on_but_not_forum_threads(client, auth, team, acme,
                                                                     make_user):
    entry = changelog.publish(team, acme, title="March release", body="Text.",
                              idea_thread_ids=[])
    make_user("cust")
    auth.signin("cust")
    thread_page = client.get(f"/c/acme/t/{entry.thread_id}")
    assert thread_page.status_code in (200, 301, 302, 308)
    assert "March release" not in client.get("/c/acme/forum").get_data(as_text=True)


def test_an_idea_removed_after_publishing_leaves_the_changelog_and_its_feed(
        client, auth, team, acme, make_idea, admin):
    kept, removed = make_idea(acme, title="Kept idea"), make_idea(acme, title="Secret idea")
    changelog.publish(team, acme, title="Release", body="Text.",
                      idea_thread_ids=[kept.thread_id, removed.thread_id])
    opening = db.session.scalar(select(Post).where(Post.thread_id == removed.thread_id,
                                                   Post.number == 1))
    hiding.hide_post(admin, opening, "personal_information", "Personal information.")
    for path in ("/c/acme/changelog", "/c/acme/changelog.atom"):
        page = client.get(path).get_data(as_text=True)
        assert "Kept idea" in page and "Secret idea" not in page
    auth.signin("tess")
    response = client.post("/c/acme/manage/changelog", data={
        "title": "Again", "body": "Text.", "ideas": [str(removed.thread_id)]})
    assert response.status_code == 422
    assert "was removed" in response.get_data(as_text=True)
