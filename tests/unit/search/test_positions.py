"""Positions stored packed (forum/search/positions.py) read back as they were indexed:
through a block's values, one posting's value, a merge, and deleted documents."""

from __future__ import annotations

import random

import pytest
from whoosh import fields
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import RamStorage
from whoosh.index import Index
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Phrase

from forum.search import positions
from forum.search.positions import BlockValues, PackedPositions


def packed_schema() -> fields.Schema:
    text = fields.TEXT(phrase=True)
    text.format = PackedPositions(field_boost=text.format.field_boost)
    return fields.Schema(text=text)


def documents(seed: int, count: int) -> list[list[str]]:
    """Documents of "filler" with "common" in most, once or many times, some of them
    past the 256th and the 65,536th position, and "rare" in a few."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        words = ["filler"] * rng.choice([1, 3, 300])
        for _ in range(rng.choice([0, 1, 1, 2, 5])):
            words.insert(rng.randrange(len(words) + 1), "common")
        if rng.random() < 0.02:
            words.extend(["filler"] * 70_000 + ["common", "rare"])
        made.append(words)
    return made


def where(words: list[str], word: str) -> list[int]:
    return [at for at, found in enumerate(words) if found == word]


def indexed(index: Index, made: list[list[str]], merge: bool = False) -> None:
    half = len(made) // 2
    for part in (made[:half], made[half:]):
        writer = index.writer()
        for words in part:
            writer.add_document(text=" ".join(words))
        writer.commit(merge=merge)


def every_posting(matcher: Matcher) -> list[tuple[int, list[int], list[int]]]:
    """Each posting's document, positions from its value, and positions as a phrase
    reads them."""
    read = []
    while matcher.is_active():
        read.append((matcher.id(), matcher.value_as("positions"),
                     list(positions.positions(matcher))))
        matcher.next()
    return read


def test_a_value_is_its_positions_packed() -> None:
    form = PackedPositions(field_boost=2.0)
    value = form.encode([3, 300, 70_000])
    assert len(value) == 12
    assert form.decode_positions(value) == [3, 300, 70_000]
    assert form.decode_frequency(value) == 3
    assert form.decode_weight(value) == 6.0
    assert form.decode_positions(form.combine([value, form.encode([1, 300])])) == [
        1, 3, 300, 70_000]


@pytest.mark.parametrize("merge", [False, True])
def test_positions_read_back_as_indexed(merge: bool) -> None:
    made = documents(3, 600)
    index = RamStorage().create_index(packed_schema())
    indexed(index, made, merge=merge)
    with index.searcher() as searcher:
        for word in ("common", "filler", "rare"):
            read = [(offset + number, found, again)
                    for subsearcher, offset in searcher.leaf_searchers()
                    for number, found, again in every_posting(
                        subsearcher.postings("text", word))]
            assert read == [(number, where(words, word), where(words, word))
                            for number, words in enumerate(made) if word in words]
        leaf = searcher.leaf_searchers()[0][0].postings("text", "common")
        assert type(leaf) is W3LeafMatcher
        leaf.value()
        assert type(leaf._values) is BlockValues  # read as two strings, not a tuple


def test_positions_read_through_the_filter_of_deleted_documents() -> None:
    """Whoosh wraps the lists of a segment with deleted documents in a filter; a phrase
    reads the positions of the list inside."""
    made = documents(5, 400)
    index = RamStorage().create_index(packed_schema())
    indexed(index, made)
    writer = index.writer()
    for number in range(0, 400, 3):
        writer.delete_document(number)
    writer.commit()
    with index.searcher() as searcher:
        subsearcher, _offset = searcher.leaf_searchers()[0]
        matcher = subsearcher.postings("text", "common")
        assert type(matcher) is FilterMatcher
        assert every_posting(matcher) == [
            (number, where(words, "common"), where(words, "common"))
            for number, words in enumerate(made[:200]) if "common" in words
            and number % 3]


def test_whoosh_phrases_find_what_positions_say() -> None:
    """Whoosh's own phrase, exact and with slop, over the packed values."""
    made = [["red", "fox"], ["red", "big", "fox"], ["fox", "red"], ["filler"] * 300 + [
        "red", "fox"]] * 80
    index = RamStorage().create_index(packed_schema())
    indexed(index, made)
    with index.searcher() as searcher:
        exact = {hit.docnum for hit in searcher.search(Phrase("text", ["red", "fox"]),
                                                       limit=None)}
        near = {hit.docnum for hit in searcher.search(
            Phrase("text", ["red", "fox"], slop=2), limit=None)}
    assert exact == {at for at, words in enumerate(made) if words[-2:] == ["red", "fox"]}
    assert near == exact | {at for at, words in enumerate(made) if words == [
        "red", "big", "fox"]}
