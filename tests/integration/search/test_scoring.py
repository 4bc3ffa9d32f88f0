"""The search's BM25F (lengths read once per segment) scores exactly as Whoosh's own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from whoosh import scoring as whoosh_scoring

from forum.search import querying, scoring
from forum.search.runtime import get_runtime
from tests.integration.search.helpers import Writer


@pytest.mark.parametrize("text", ["espresso", "milk frother", '"how do i"', "descal*",
                                  "espresso -descaler"])
def test_every_score_is_whoosh_bm25f(text: str, write: Writer, index: Callable[[], int],
                                     app: Flask) -> None:
    for number in range(12):
        write.thread(f"Espresso question {number}" if number % 3 else "How do I descale",
                     "How do I get the milk frother " * (number % 4 + 1)
                     + "espresso descaler" * (number % 2))
    index()
    query = querying.to_whoosh(querying.parse(text))
    assert query is not None
    index_now = get_runtime(app).store.open_current().index
    with index_now.searcher(weighting=scoring.BM25F()) as ours, \
            index_now.searcher(weighting=whoosh_scoring.BM25F()) as theirs:
        mine = {hit.docnum: hit.score for hit in ours.search(query, limit=None)}
        expected = {hit.docnum: hit.score for hit in theirs.search(query, limit=None)}
        assert mine.keys() == expected.keys() and mine
        assert all(mine[doc] == pytest.approx(expected[doc], rel=1e-12) for doc in mine)
        leaf = ours.leaf_searchers()[0][0]
        assert scoring.field_lengths(leaf.reader(), "text") is not None  # the fast path


def test_a_segment_without_a_length_column_is_scored_by_whoosh() -> None:
    class NoColumns:
        pass

    assert scoring.field_lengths(NoColumns(), "text") is None  # type: ignore[arg-type]
