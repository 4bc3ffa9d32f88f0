"""The faster posting skip (forum/search/postings.py) lands where Whoosh's own does."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from whoosh import fields
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import RamStorage
from whoosh.matching import Matcher, ReadTooFar
from whoosh.searching import Searcher

from forum.search import postings


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    """1,000 documents; "common" in most, "rare" in a few, spread over many blocks."""
    rng = random.Random(7)
    index = RamStorage().create_index(fields.Schema(text=fields.TEXT))
    writer = index.writer()
    for number in range(1_000):
        words = ["filler"]
        if rng.random() < 0.7:
            words.append("common")
        if rng.random() < 0.03:
            words.append("rare")
        writer.add_document(text=f"{' '.join(words)} {number}")
    writer.commit()
    return index.searcher()


def walk(matcher: Matcher, targets: list[int]) -> list[int | None]:
    """Where the matcher is after skipping to each target in turn (None: at the end)."""
    landed: list[int | None] = []
    for target in targets:
        if not matcher.is_active():
            with pytest.raises(ReadTooFar):
                matcher.skip_to(target)
            landed.append(None)
            continue
        matcher.skip_to(target)
        landed.append(matcher.id() if matcher.is_active() else None)
    return landed


@pytest.mark.parametrize("word", ["common", "rare", "filler"])
@pytest.mark.parametrize("seed", range(5))
def test_skips_land_where_whoosh_lands(searcher: Searcher, word: str, seed: int) -> None:
    rng = random.Random(seed)
    targets = sorted(rng.sample(range(1_100), 60))
    term: Callable[[], Matcher] = lambda: searcher.postings("text", word)  # noqa: E731
    assert isinstance(term(), W3LeafMatcher)
    assert W3LeafMatcher.skip_to is postings.skip_to  # installed on import
    ours = walk(term(), targets)
    postings.uninstall()
    try:
        theirs = walk(term(), targets)
    finally:
        postings.install()
    assert ours == theirs
    assert any(position is not None for position in ours)
