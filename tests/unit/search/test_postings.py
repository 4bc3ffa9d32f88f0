"""The faster posting skip (forum/search/postings.py) lands where Whoosh's own does."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import fields
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import RamStorage
from whoosh.matching import Matcher, ReadTooFar
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Term
from whoosh.searching import Searcher

from forum.search import postings
from forum.search.bounded import capped_search
from forum.search.conjunction import AllOf
from forum.search.mapped import MappedStorage, ViewFile
from forum.search.schema import make_schema


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    """1,000 documents; "common" in most (twice in some), "rare" in a few, spread over
    many blocks."""
    rng = random.Random(7)
    index = RamStorage().create_index(fields.Schema(text=fields.TEXT))
    writer = index.writer()
    for number in range(1_000):
        words = ["filler"]
        if rng.random() < 0.7:
            words.extend(["common"] * rng.choice([1, 1, 2]))
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


def every_posting(matcher: Matcher) -> list[tuple[int, float, bytes]]:
    """Each posting's document, weight and positions, reading the number first (as a
    follower in a conjunction does), then the rest."""
    postings_read = []
    while matcher.is_active():
        number = matcher.id()
        postings_read.append((number, matcher.weight(), matcher.value()))
        matcher.next()
    return postings_read


@pytest.mark.parametrize("word", ["common", "rare", "filler"])
def test_numbers_read_alone_agree_with_the_whole_block(searcher: Searcher, word: str) -> None:
    matcher = searcher.postings("text", word)
    matcher.id()
    matcher.weight()
    assert matcher._block[0] == matcher._dataoffset  # numbers and weights read alone,
    assert matcher._data is None  # without the positions
    ours = every_posting(matcher)
    postings.uninstall()
    try:
        theirs = every_posting(searcher.postings("text", word))
    finally:
        postings.install()
    assert ours == theirs
    assert len({weight for _number, weight, _value in ours}) > 1 or word != "common"


def test_numbers_of_every_size_read_alone() -> None:
    """Differences of one, two and four bytes in one block, one weight for all (2), and
    a block of two."""
    index = RamStorage().create_index(fields.Schema(text=fields.TEXT))
    writer = index.writer()
    numbers = [0, 1, 300, 70_000, 70_001, 70_300]
    for number in range(numbers[-1] + 1):
        writer.add_document(text="wide wide" if number in numbers else "gap")
    writer.add_document(text="few")
    writer.add_document(text="few")
    writer.commit()
    with index.searcher() as wide:
        assert [(number, weight) for number, weight, _value
                in every_posting(wide.postings("text", "wide"))] == [(n, 2.0) for n in numbers]
        few = wide.postings("text", "few")
        assert [number for number, *_rest in every_posting(few)] == [70_301, 70_302]
        assert getattr(few, "_block", None) is None  # a short tuple: Whoosh's own read


def test_a_capped_scan_leaves_out_deleted_documents_itself() -> None:
    """In a segment with deleted documents, a capped scan's posting lists come without
    Whoosh's filter, and the scan leaves the deleted documents out: the same top
    documents, scores and thread counts as Whoosh's own search."""
    index = RamStorage().create_index(make_schema())
    writer = index.writer()
    rng = random.Random(11)
    for number in range(2_000):
        words = " ".join(rng.choice(["red", "blue", "green", "red red"])
                         for _ in range(rng.randint(1, 6)))
        writer.add_document(text=("", words), thread_id=str(number), company="1",
                            kind="idea", status="open")
    writer.commit()
    writer = index.writer()
    for number in range(0, 2_000, 3):
        writer.delete_document(number)
    writer.commit(merge=False)
    query = AllOf([Term("text", "red"), Term("text", "blue")])
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert type(reader.postings("text", "red")) is FilterMatcher
        with postings.deleted_left_to_caller():
            assert type(reader.postings("text", "red")) is W3LeafMatcher
        scan = capped_search(searcher, query, limit=2_000, sortedby=None, cap=0,
                             count_up_to=5_000)
        whoosh = searcher.search(query, limit=2_000)
        ours = [(hit.docnum, round(hit.score, 5)) for hit in scan.results]
        assert ours == [(hit.docnum, round(hit.score, 5)) for hit in whoosh]
        assert not any(docnum % 3 == 0 for docnum, _score in ours)
        assert scan.scanned == len(whoosh) > 100
        assert scan.threads.total == len(whoosh)


@pytest.mark.parametrize(("boost", "written"), [(1.0, int), (1.5, float)])
def test_weights_written_as_whole_numbers_where_they_are(boost: float, written: type) -> None:
    """Whole weights are pickled as integers (2 bytes each, not 9); others stay floats.
    Either way the block's numbers and weights are read without its positions, and
    agree with Whoosh's reading."""
    index = RamStorage().create_index(fields.Schema(text=fields.TEXT(field_boost=boost)))
    writer = index.writer()
    for number in range(300):
        writer.add_document(text="word " * (1 + number % 3))
    writer.commit()
    with index.searcher() as searcher:
        matcher = searcher.postings("text", "word")
        matcher.id()
        assert matcher._data is None
        assert {type(weight) for weight in matcher._weights} == {written}
        ours = every_posting(matcher)
        postings.uninstall()
        try:
            theirs = every_posting(searcher.postings("text", "word"))
        finally:
            postings.install()
        assert ours == theirs
        assert [weight for _number, weight, _value in ours[:3]] == [boost, 2 * boost,
                                                                    3 * boost]


BLOCK_FIELDS = ("_blocklength", "_maxid", "_maxweight", "_compression", "_minlength",
                "_maxlength", "_dataoffset", "_nextoffset", "_lastblock")


def every_block(matcher: W3LeafMatcher, goto: Callable[[W3LeafMatcher, int], None]
                ) -> list[tuple[object, ...]]:
    """Each block's header as `goto` reads it, walking the list block by block."""
    headers, position = [], matcher._baseoffset
    matcher._lastblock = False
    while True:
        goto(matcher, position)
        headers.append(tuple(getattr(matcher, name) for name in BLOCK_FIELDS))
        if matcher._lastblock:
            return headers
        position = matcher._nextoffset


def test_block_headers_read_from_the_map_as_whoosh_reads_them(tmp_path: Path) -> None:
    """On a memory-mapped segment a block's header is one slice and one small pickle;
    the same numbers as Whoosh's own reading, for short and long lists, numbers past
    65,535, and the last block."""
    index = MappedStorage(str(tmp_path)).create_index(fields.Schema(text=fields.TEXT))
    writer = index.writer()
    for number in range(70_000):
        words = ["filler"] + ["common"] * (1 + number % 3) * (number % 2)
        if number % 997 == 0:
            words.append("rare")
        writer.add_document(text=" ".join(words))
    writer.commit()
    with index.searcher() as searcher:
        for word, blocks in (("common", 274), ("rare", 1), ("filler", 547)):
            matcher = searcher.postings("text", word)
            assert isinstance(matcher._postfile, ViewFile)
            ours = every_block(matcher, postings.goto)
            assert ours == every_block(matcher, postings._original["_goto"])
            assert len(ours) == blocks
            assert ours[-1][1] >= 65_536 or word == "rare"
