"""Hidden threads and posts and merged ideas never come back from a search, not even in
the moment between hiding them and the indexer catching up."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from forum.database import utcnow
from tests.integration.search.helpers import (
    Writer,
    found_titles,
    idea_of,
    index_keys,
    similar_ideas,
)


def test_a_thread_hidden_a_moment_ago_is_not_shown(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    thread = write.thread("Leaking group head", "Water leaks from the group head")
    write.reply(thread, "The gasket leaks after a year")
    write.thread("Steam wand", "The wand leaks steam")
    index()
    write.change_thread(thread, hidden_at=utcnow())  # the indexer has not run
    results = find("leaks")
    assert found_titles(results) == ["Steam wand"]
    assert results.total == 1
    assert all("gasket" not in hit.snippet for hit in results.hits)


def test_a_post_hidden_a_moment_ago_is_not_shown_as_a_snippet(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    thread = write.thread("Noisy pump", "The pump is loud")
    secret = write.reply(thread, "Here is my phone number: zanzibar")
    index()
    assert find("zanzibar").total == 1
    write.hide_post(secret)
    results = find("zanzibar")
    assert results.hits == [] and results.total == 0
    assert "zanzibar" not in str([hit.snippet for hit in find("pump").hits])


def test_an_idea_merged_a_moment_ago_is_not_shown(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    keeper = write.idea("Decaf beans", "Sell decaf beans")
    duplicate = write.idea("Decaf please", "decaf beans in store")
    index()
    write.change_idea(duplicate, merged_into_id=idea_of(keeper).id)
    assert found_titles(find("decaf")) == ["Decaf beans"]
    assert similar_ideas(write.company.id, "Decaf beans please") == [keeper.id]


def test_hidden_content_is_deleted_from_the_index_by_the_indexer(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    visible = write.thread("Visible", "milk frother")
    hidden = write.thread("Hidden", "milk frother")
    write.reply(hidden, "frother reply")
    post = write.reply(visible, "frother secret")
    keeper = write.idea("Frother idea", "milk frother idea")
    merged = write.idea("Frother duplicate", "milk frother duplicate")
    index()
    write.change_thread(hidden, hidden_at=utcnow())
    write.hide_post(post)
    write.change_idea(merged, merged_into_id=idea_of(keeper).id)
    index()
    assert set(index_keys(app)) == {f"t:{visible.id}", f"t:{keeper.id}"}
    assert sorted(found_titles(find("frother"))) == ["Frother idea", "Visible"]


def test_a_hidden_idea_is_never_similar(
    write: Writer, index: Callable[[], int]
) -> None:
    idea = write.idea("Reusable cups", "Discount for reusable cups")
    index()
    assert similar_ideas(write.company.id, "Reusable cup discount") == [idea.id]
    write.change_thread(idea, hidden_at=utcnow())
    assert similar_ideas(write.company.id, "Reusable cup discount") == []
    index()
    assert similar_ideas(write.company.id, "Reusable cup discount") == []
