"""AllOf, the And led by its rarest part, matches and scores as Whoosh's And does."""

from __future__ import annotations

import random

import pytest
from whoosh import fields
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage
from whoosh.searching import Searcher

from forum.search.conjunction import AllOf, AllOfMatcher, AnyOf, AnyOfMatcher

WORDS = ["alpha", "beta", "gamma", "delta", "rare"]


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    """2,000 documents: the first four words in most of them, "rare" in a few."""
    rng = random.Random(3)
    index = RamStorage().create_index(fields.Schema(title=fields.TEXT, body=fields.TEXT))
    writer = index.writer()
    for number in range(2_000):
        words = [word for word, share in zip(WORDS, (0.6, 0.5, 0.7, 0.4, 0.02), strict=True)
                 if rng.random() < share]
        writer.add_document(title=" ".join(words[:2]), body=f"{' '.join(words)} {number}")
    writer.commit()
    return index.searcher()


def word(text: str) -> wq.Query:
    return wq.Or([wq.Term("title", text, boost=2.0), wq.Term("body", text)])


@pytest.mark.parametrize("words", [["alpha", "beta"], ["alpha", "beta", "gamma", "delta"],
                                   ["rare", "alpha", "gamma"], ["delta", "rare"]])
def test_the_same_documents_with_the_same_scores(searcher: Searcher, words: list[str]
                                                 ) -> None:
    ours = searcher.search(AllOf([word(text) for text in words]), limit=None)
    theirs = searcher.search(wq.And([word(text) for text in words]), limit=None)
    assert len(ours) == len(theirs) > 0
    assert ({hit.docnum: round(hit.score, 9) for hit in ours}
            == {hit.docnum: round(hit.score, 9) for hit in theirs})


def test_skips_land_on_the_next_document_all_parts_have(searcher: Searcher) -> None:
    words = ["alpha", "gamma", "rare"]
    every = sorted(searcher.docs_for_query(wq.And([word(text) for text in words])))
    context = searcher.context(weighting=searcher.weighting)
    matcher = AllOf([word(text) for text in words]).matcher(searcher, context)
    assert isinstance(matcher, AllOfMatcher)
    rng = random.Random(5)
    for target in sorted(rng.sample(range(2_000), 40)):
        if not matcher.is_active():
            break
        before = matcher.id()
        matcher.skip_to(target)
        after = [docnum for docnum in every if docnum >= max(target, before)]
        if after:
            assert matcher.is_active() and matcher.id() == after[0]
        else:
            assert not matcher.is_active()
    assert {term for _name, term in
            AllOf([word("alpha"), word("rare")]).matcher(searcher, context)
            .matching_terms()} <= {b"alpha", b"rare"}


def terms(words: list[str]) -> list[wq.Query]:
    return [wq.Term("body", text) for text in words]


@pytest.mark.parametrize("words", [["alpha", "beta"], ["rare", "delta", "gamma", "beta"],
                                   ["rare"], ["rare", "absent"], [str(n) for n in range(40)]])
def test_any_of_matches_and_scores_as_whooshs_or(searcher: Searcher, words: list[str]
                                                 ) -> None:
    ours = searcher.search(AnyOf(terms(words)), limit=None)
    theirs = searcher.search(wq.Or(terms(words)), limit=None)
    assert len(ours) == len(theirs) > 0
    assert ({hit.docnum: round(hit.score, 9) for hit in ours}
            == {hit.docnum: round(hit.score, 9) for hit in theirs})


def test_any_of_skips_to_the_next_document_any_part_has(searcher: Searcher) -> None:
    words = ["rare", "delta", "7", "1999"]
    every = sorted(searcher.docs_for_query(wq.Or(terms(words))))
    context = searcher.context(weighting=searcher.weighting)
    matcher = AnyOf(terms(words)).matcher(searcher, context)
    assert isinstance(matcher, AnyOfMatcher)
    for target in sorted(random.Random(8).sample(range(2_000), 60)):
        if not matcher.is_active():
            break
        matcher.skip_to(target)
        after = [docnum for docnum in every if docnum >= target]
        assert (matcher.id() if matcher.is_active() else None) == (after[0] if after else None)
    assert AnyOf(terms(["absent", "nowhere"])).matcher(searcher, context).is_active() is False
