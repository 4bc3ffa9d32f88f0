"""AllOf, the And led by its rarest part, matches and scores as Whoosh's And does."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from whoosh import fields
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage
from whoosh.searching import Searcher

from forum.search.bounded import capped_search
from forum.search.conjunction import AllOf, AllOfMatcher
from forum.search.counting import FACETS
from forum.search.phrases import Phrase
from forum.search.union import AnyOf, AnyOfMatcher, BestOf

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


def body_word(text: str) -> wq.Query:
    """A word of one field: its posting list itself, aligned a window at a time."""
    return wq.Term("body", text)


@pytest.mark.parametrize("words", [["alpha", "beta"], ["alpha", "beta", "gamma", "delta"],
                                   ["rare", "alpha", "gamma"], ["delta", "rare"]])
@pytest.mark.parametrize("word", [word, body_word])
def test_the_same_documents_with_the_same_scores(searcher: Searcher, words: list[str],
                                                 word: Callable[[str], wq.Query]) -> None:
    context = searcher.context(weighting=searcher.weighting)
    matcher = AllOf([word(text) for text in words]).matcher(searcher, context)
    assert matcher._by_window is (word is body_word)
    ours = searcher.search(AllOf([word(text) for text in words]), limit=None)
    theirs = searcher.search(wq.And([word(text) for text in words]), limit=None)
    assert len(ours) == len(theirs) > 0
    assert ({hit.docnum: round(hit.score, 9) for hit in ours}
            == {hit.docnum: round(hit.score, 9) for hit in theirs})


@pytest.mark.parametrize("word", [word, body_word])
def test_skips_land_on_the_next_document_all_parts_have(
        searcher: Searcher, word: Callable[[str], wq.Query]) -> None:
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


@pytest.fixture(scope="module")
def phrases() -> Searcher:
    """3,000 documents of filler words with "alpha" and "beta" once each, in a row in
    half of them, apart in the others; the shortest first, as a rebuilt index holds
    them, so that later blocks score less and can be skipped, then 300 short ones again
    (as if added since), where a skip lands."""
    rng = random.Random(11)
    index = RamStorage().create_index(fields.Schema(body=fields.TEXT(phrase=True)))
    writer = index.writer()
    lengths = sorted(rng.randint(4, 60) for _number in range(3_000))
    for length in lengths + [rng.randint(4, 8) for _number in range(300)]:
        words = [rng.choice(["gamma", "delta", "epsilon", "zeta"]) for _ in range(length)]
        at = rng.randrange(length - 2)
        words[at] = "alpha"
        words[at + 1 if rng.random() < 0.5 else rng.randrange(at + 2, length)] = "beta"
        writer.add_document(body=" ".join(words))
    writer.commit()
    return index.searcher()


@pytest.mark.parametrize("share", [0.5, 0.7, 0.9])
def test_a_phrase_skipping_by_quality_stops_only_on_the_phrase(phrases: Searcher,
                                                              share: float) -> None:
    """Pruning (bounded.py) skips the blocks that cannot reach a score: the phrase lands
    on a document that has it, never on one that has its words apart, and loses none
    that could reach the score."""
    query = Phrase("body", ["alpha", "beta"])
    everyone = {hit.docnum: hit.score for hit in phrases.search(query, limit=None)}
    context = phrases.context(weighting=phrases.weighting)
    matcher = query.matcher(phrases, context)
    assert matcher.supports_block_quality()
    minquality = share * max(everyone.values())
    landed: list[int] = []
    while matcher.is_active():
        matcher.skip_to_quality(minquality)
        if not matcher.is_active():
            break
        landed.append(matcher.id())
        matcher.next()
    assert set(landed) <= set(everyone)
    assert len(landed) < len(everyone)  # some were skipped
    assert {docnum for docnum, score in everyone.items() if score > minquality} <= set(landed)


@pytest.fixture(scope="module")
def prefixed() -> Searcher:
    """4,000 documents of 30 words that share a prefix, from very common to rare (as the
    words a prefix stands for), among filler."""
    rng = random.Random(17)
    facets = {name: fields.ID(sortable=True) for name in ("thread_id", *FACETS)}
    index = RamStorage().create_index(fields.Schema(body=fields.TEXT, **facets))
    writer = index.writer()
    words = [f"work{number}" for number in range(30)]
    weights = [1 / (rank + 1) ** 1.2 for rank in range(30)]
    for _number in range(4_000):
        chosen = rng.choices(words, weights, k=rng.randint(1, 4))
        filler = ["plain"] * rng.randint(2, 40)
        writer.add_document(body=" ".join(chosen + filler), thread_id=str(_number),
                            company="1", kind="idea", status="open")
    writer.commit()
    return index.searcher()


def exhaustive(searcher: Searcher, words: wq.Query, limit: int, also: wq.Query | None = None
               ) -> list[tuple[int, float]]:
    """The top `limit` (document, score) of `words`, scored without pruning: as Whoosh's
    Or (a sum), or for BestOf each document's best word (Whoosh's DisjunctionMax takes
    the best of parts on different documents); with `also`, a word each must have too."""
    if not isinstance(words, BestOf):
        query = wq.Or(list(words.subqueries))
        hits = searcher.search(query if also is None else wq.And([also, query]), limit=limit)
        return [(hit.docnum, round(hit.score, 9)) for hit in hits]
    best: dict[int, float] = {}
    for term in words.subqueries:
        for hit in searcher.search(term, limit=None):
            best[hit.docnum] = max(best.get(hit.docnum, 0.0), hit.score)
    if also is not None:
        required = {hit.docnum: hit.score for hit in searcher.search(also, limit=None)}
        best = {docnum: score + required[docnum] for docnum, score in best.items()
                if docnum in required}
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [(docnum, round(score, 9)) for docnum, score in ranked]


@pytest.mark.parametrize("union", [AnyOf, BestOf])
@pytest.mark.parametrize("limit", [1, 10, 50])
def test_a_pruned_prefix_finds_the_same_top_documents(prefixed: Searcher, limit: int,
                                                      union: type[AnyOf]) -> None:
    """Once its count is full the search prunes: the words that cannot reach the page
    leave the heap (BestOf: and blocks that cannot are skipped), fewer documents are
    stepped through, and the top is the exhaustive one, scored the same way."""
    words = union([wq.Term("body", f"work{number}") for number in range(30)])
    pruned = capped_search(prefixed, words, limit=limit, sortedby=None, cap=0,
                           count_up_to=1)
    assert ([(hit.docnum, round(hit.score, 9)) for hit in pruned.results]
            == exhaustive(prefixed, words, limit))
    assert pruned.scanned < len(prefixed.search(words, limit=None))


@pytest.mark.parametrize("limit", [1, 10])
def test_the_best_of_a_prefix_steps_through_fewer_documents_than_the_sum(
        prefixed: Searcher, limit: int) -> None:
    terms = [wq.Term("body", f"work{number}") for number in range(30)]
    scanned = {union: capped_search(prefixed, union(terms), limit=limit, sortedby=None,
                                    cap=0, count_up_to=1).scanned
               for union in (AnyOf, BestOf)}
    assert scanned[BestOf] * 3 < scanned[AnyOf] * 2  # two thirds or fewer


def test_a_prefix_with_another_word_finds_the_same_top_documents(prefixed: Searcher
                                                                  ) -> None:
    """A prefix beside a word (an AllOf of both): pruned, the same top as exhaustive."""
    words = BestOf([wq.Term("body", f"work{number}") for number in range(30)])
    both = AllOf([wq.Term("body", "plain"), words])
    pruned = capped_search(prefixed, both, limit=10, sortedby=None, cap=0, count_up_to=1)
    assert ([(hit.docnum, round(hit.score, 9)) for hit in pruned.results]
            == exhaustive(prefixed, words, 10, also=wq.Term("body", "plain")))


@pytest.mark.parametrize("words", [["alpha", "beta"], ["gamma", "alpha", "beta"],
                                   ["delta", "gamma"], ["zeta", "delta", "zeta"]])
def test_a_phrase_matches_and_scores_as_whooshs(phrases: Searcher, words: list[str]) -> None:
    """Positions intersected as sets find the documents Whoosh's spans find."""
    ours = phrases.search(Phrase("body", words), limit=None)
    theirs = phrases.search(wq.Phrase("body", words), limit=None)
    assert len(ours) == len(theirs) > 0
    assert ({hit.docnum: round(hit.score, 9) for hit in ours}
            == {hit.docnum: round(hit.score, 9) for hit in theirs})
    assert spans_of(Phrase("body", words), phrases) == spans_of(
        wq.Phrase("body", words), phrases)


def spans_of(query: wq.Query, searcher: Searcher) -> dict[int, list[tuple[int, int]]]:
    """Where the phrase stands in each document it matches, as (start, end)."""
    matcher, found = query.matcher(searcher), {}
    while matcher.is_active():
        found[matcher.id()] = [(span.start, span.end) for span in matcher.spans()]
        matcher.next()
    return found


def test_a_phrase_past_the_256th_word_or_with_a_word_twice_is_found() -> None:
    """A lone position under 256 is read from its byte; others are unpickled."""
    index = RamStorage().create_index(fields.Schema(body=fields.TEXT(phrase=True)))
    writer = index.writer()
    writer.add_document(body="gamma " * 300 + "alpha beta")  # positions 300, 301
    writer.add_document(body="alpha beta gamma alpha beta")  # each word twice
    writer.add_document(body="alpha gamma beta " + "gamma " * 300 + "beta alpha")
    writer.commit()
    with index.searcher() as searcher:
        ours = searcher.search(Phrase("body", ["alpha", "beta"]), limit=None)
        theirs = searcher.search(wq.Phrase("body", ["alpha", "beta"]), limit=None)
        assert sorted(hit.docnum for hit in ours) == sorted(
            hit.docnum for hit in theirs) == [0, 1]


def test_words_of_a_segment_with_deleted_documents_leave_those_out() -> None:
    """Whoosh wraps the posting lists of a segment with deletions; a window leaves the
    deleted documents out as the wrapper would."""
    rng = random.Random(23)
    index = RamStorage().create_index(fields.Schema(body=fields.TEXT))
    writer = index.writer()
    for number in range(1_500):
        words = [word for word, share in (("alpha", 0.6), ("beta", 0.5), ("gamma", 0.1))
                 if rng.random() < share]
        writer.add_document(body=f"{' '.join(words)} filler{number}")
    writer.commit()
    writer = index.writer()
    for docnum in rng.sample(range(1_500), 400):
        writer.delete_document(docnum)
    writer.commit(merge=False)
    with index.searcher() as searcher:
        context = searcher.context(weighting=searcher.weighting)
        for words in (["gamma", "alpha"], ["alpha", "beta"], ["gamma", "alpha", "beta"]):
            matcher = AllOf(terms(words)).matcher(searcher, context)
            assert matcher._by_window and matcher._deleted
            ours = searcher.search(AllOf(terms(words)), limit=None)
            theirs = searcher.search(wq.And(terms(words)), limit=None)
            assert len(ours) == len(theirs) > 0
            assert ({hit.docnum: round(hit.score, 9) for hit in ours}
                    == {hit.docnum: round(hit.score, 9) for hit in theirs})
