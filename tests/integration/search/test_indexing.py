"""Every kind of change reaches the index once the indexer has run."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import delete, select

from forum.companies.models import Company
from forum.database import utcnow, write_transaction
from forum.events.log import record
from forum.extensions import db
from forum.search.runtime import get_runtime
from forum.threads.models import Post, Thread
from tests.integration.search.helpers import (
    THREAD_CHANGED,
    Writer,
    found_titles,
    idea_of,
    index_keys,
)


def test_a_new_thread_is_found_by_title_and_body(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    index()
    write.thread("Descaling the Breeze", "Which citric acid mix is safe?")
    assert find("descaling").total == 0  # not before the indexer ran
    index()
    assert found_titles(find("descaling")) == ["Descaling the Breeze"]
    assert found_titles(find("citric")) == ["Descaling the Breeze"]


def test_a_reply_is_found_and_grouped_under_its_thread(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    index()
    thread = write.thread("Grinder settings", "What grind for espresso?")
    write.reply(thread, "Espresso wants a fine grind")
    write.reply(thread, "Fine espresso grind, then adjust")
    index()
    results = find("espresso")
    assert results.total == 1 and len(results.hits) == 1
    assert results.hits[0].reply_count == 2
    assert set(index_keys(app)) == {f"t:{thread.id}", "p:2", "p:3"}


def test_an_edited_post_is_found_by_its_new_words_only(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    thread = write.thread("Kettle", "It whistles")
    reply = write.reply(thread, "Mine hums")
    index()
    write.edit_post(reply, "Mine rattles")
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                    Post.number == 1)).one()
    write.edit_post(opening, "It screams")
    index()
    assert find("hums").total == 0 and find("rattles").total == 1
    assert find("whistles").total == 0 and find("screams").total == 1


def test_a_retitled_thread_is_found_by_its_new_title(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    thread = write.thread("Old name", "body text")
    index()
    write.change_thread(thread, title="Shiny title")
    index()
    assert find("old").total == 0
    assert found_titles(find("shiny")) == ["Shiny title"]


def test_hidden_posts_and_threads_leave_the_index_and_come_back_when_restored(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    thread = write.thread("Portafilter", "Basket sizes")
    reply = write.reply(thread, "The basket is 58mm")
    index()
    write.hide_post(reply)
    index()
    assert "p:2" not in index_keys(app) and find("58mm").total == 0
    write.change_thread(thread, hidden_at=utcnow())
    index()
    assert index_keys(app) == {}
    write.change_thread(thread, hidden_at=None)
    index()
    assert set(index_keys(app)) == {f"t:{thread.id}"}
    assert find("basket").total == 1


def test_a_thread_moved_to_another_company_follows(
    write: Writer, index: Callable[[], int], find: Callable,
    make_company: Callable[..., Company],
) -> None:
    other = make_company("globex")
    thread = write.thread("Bean hopper", "Hopper cracks")
    write.reply(thread, "My hopper cracked too")
    index()
    write.change_thread(thread, company_id=other.id)
    index()
    assert find("hopper", company_id=write.company.id).total == 0
    assert find("hopper", company_id=other.id).hits[0].company_slug == "globex"


def test_idea_status_votes_and_tags_reach_the_index(
    write: Writer, index: Callable[[], int], find: Callable
) -> None:
    oat = write.idea("Oat milk option", "Please add oat milk", status="open", votes=1,
                     tags=("Menu",))
    write.reply(oat, "Oat milk please, for the menu")
    soy = write.idea("Soy milk option", "Please add soy milk", votes=5)
    index()
    assert found_titles(find("milk", sort="votes")) == ["Soy milk option", "Oat milk option"]
    write.change_idea(oat, status="planned", vote_count=9)
    index()
    assert found_titles(find("milk", status="planned")) == ["Oat milk option"]
    assert find("milk", status="planned").hits[0].status == "planned"
    assert found_titles(find("milk", sort="votes")) == ["Oat milk option", "Soy milk option"]
    assert found_titles(find("milk", tag="menu")) == ["Oat milk option"]
    assert soy.id != oat.id


def test_merged_ideas_leave_the_index_and_return_when_unmerged(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    keeper = write.idea("Dark roast", "More dark roast")
    duplicate = write.idea("Darker roast please", "dark roast beans")
    write.reply(duplicate, "yes, dark")
    index()
    assert find("dark").total == 2
    write.change_idea(duplicate, merged_into_id=idea_of(keeper).id)
    index()
    assert found_titles(find("dark")) == ["Dark roast"]
    assert all(not key.endswith(f":{duplicate.id}") for key in index_keys(app)
               if key.startswith("t:"))
    write.change_idea(duplicate, merged_into_id=None)
    index()
    assert find("dark").total == 2


def test_a_deleted_thread_leaves_the_index(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    thread = write.thread("Temporary", "To be deleted")
    write.reply(thread, "deleted too")
    index()
    with write_transaction():
        db.session.execute(delete(Thread).where(Thread.id == thread.id))
        record(THREAD_CHANGED, None, thread, thread.company_id)
    index()
    assert index_keys(app) == {}
    assert find("deleted").total == 0


def test_a_reply_does_not_reindex_the_whole_thread_but_a_status_change_does(
    app: Flask, write: Writer, index: Callable[[], int], find: Callable
) -> None:
    idea = write.idea("Cold brew", "Cold brew on tap", status="open")
    for number in range(5):
        write.reply(idea, f"Cold brew reply {number}")
    index()
    indexer = get_runtime(app).indexer()
    write.reply(idea, "another cold brew reply")
    reply_batch = indexer.run_once()
    write.change_idea(idea, status="planned")
    status_batch = indexer.run_once()
    assert reply_batch is not None and status_batch is not None
    assert reply_batch.documents == 2  # the thread's own document and the new reply
    assert status_batch.documents == 7  # the thread and all six replies (status changed)
    assert set(index_keys(app).values()) == {1} and len(index_keys(app)) == 7
    assert find("cold", status="planned").total == 1


def test_replies_follow_a_status_change_even_when_its_thread_document_moved_first(
    app: Flask, app_factory: Callable[..., Flask], write: Writer, find: Callable,
    index: Callable[[], int],
) -> None:
    idea = write.idea("Cold brew", "Cold brew on tap", status="open")
    write.reply(idea, "Nitro would be lovely")
    index()
    opening = db.session.scalars(select(Post).where(Post.thread_id == idea.id,
                                                    Post.number == 1)).one()
    write.edit_post(opening, "Cold brew on tap, please")  # an event for the opening post
    write.change_idea(idea, status="planned")  # then one for the idea
    one_by_one = get_runtime(app_factory(SEARCH_BATCH_SIZE=1)).indexer()
    # The post's event names its thread, whose status is already planned: the first
    # batch finds the replies out of date and rewrites them with the thread document.
    first = one_by_one.run_once()
    assert first is not None and first.documents == 2
    second = one_by_one.run_once()  # the idea's own event: nothing left out of date
    assert second is not None and second.documents == 1
    assert find("nitro", status="planned").total == 1
    assert find("nitro", status="open").total == 0
