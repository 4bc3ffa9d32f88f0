"""Phrases: words in a row, in a title or in a body, never across the two.

Two words in a row of which one is common are one term of the index (schema.WordPairs);
other phrases are checked by positions. Either way the same documents match.
"""

from __future__ import annotations

from collections.abc import Callable

from forum.search import services
from tests.integration.search.helpers import Writer


def test_a_phrase_with_a_common_word_matches_only_those_words_in_a_row(
    write: Writer, index: Callable[[], int], find: Callable[..., services.SearchResults],
) -> None:
    in_title = write.thread("How do I export invoices", "Nothing else here")
    in_body = write.thread("Exports", "Tell me how do I export them")
    write.thread("Apart", "How would I do an export")  # both words, not in a row
    write.thread("Across the two parts, how", "do I export")  # title's end, body's start
    # Both pairs of "how do i", not in a row: the pairs find it, its positions do not.
    pairs_apart = write.thread("Pairs apart", "How do we know what to do I wonder")
    index()
    assert {hit.thread_id for hit in find('"how do i"').hits} == {in_title.id, in_body.id}
    assert {hit.thread_id for hit in find('"how do"').hits} == {
        in_title.id, in_body.id, pairs_apart.id}
    assert {hit.thread_id for hit in find('"how do i export"').hits} == {
        in_title.id, in_body.id}
    assert find('"how do"').hits[0].thread_id == in_title.id  # a title counts more


def test_a_phrase_of_rarer_words_is_checked_by_positions(
    write: Writer, index: Callable[[], int], find: Callable[..., services.SearchResults],
) -> None:
    right = write.thread("Invoices", "A csv export of every invoice")
    write.thread("Backwards", "export csv files")
    write.thread("Apart", "csv files and an export")
    index()
    assert [hit.thread_id for hit in find('"csv export"').hits] == [right.id]
    assert [hit.thread_id for hit in find('"csv export of every invoice"').hits] == [right.id]
    assert find('"export invoice"').hits == []


def test_words_left_out_of_a_phrase_by_a_minus_are_pairs_too(
    write: Writer, index: Callable[[], int], find: Callable[..., services.SearchResults],
) -> None:
    kept = write.thread("Export", "I need an export")
    write.thread("Export too", "how do I get an export")
    index()
    assert [hit.thread_id for hit in find('export -"how do"').hits] == [kept.id]
