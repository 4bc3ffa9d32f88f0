"""The analyzer: words in every script, CJK as bigrams, accents folded, English stems."""

from __future__ import annotations

import pickle

from forum.search.schema import ANALYZER, make_schema


def tokens(text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.startchar, t.endchar) for t in ANALYZER(text, chars=True)]


def test_english_is_lower_cased_stemmed_and_stop_words_dropped() -> None:
    assert [t for t, *_ in tokens("The Apps are Running")] == ["app", "run"]


def test_accents_are_folded() -> None:
    assert [t for t, *_ in tokens("Café crème brûlée")] == ["cafe", "creme", "brule"]


def test_cjk_runs_become_overlapping_pairs_with_their_offsets() -> None:
    assert tokens("東京都") == [("東京", 0, 2), ("京都", 1, 3)]
    assert tokens("go 東 now") == [("go", 0, 2), ("東", 3, 4), ("now", 5, 8)]


def test_cjk_next_to_latin_is_split_from_it() -> None:
    assert [t for t, *_ in tokens("iPhone用ケース")] == ["iphon", "用ケ", "ケー", "ース"]


def test_cyrillic_arabic_and_devanagari_are_words() -> None:
    assert [t for t, *_ in tokens("Привет мир")] == ["привет", "мир"]
    assert [t for t, *_ in tokens("مرحبا بالعالم")] == ["مرحبا", "بالعالم"]
    assert len(tokens("नमस्ते दुनिया")) == 2


def test_version_numbers_stay_whole() -> None:
    assert [t for t, *_ in tokens("upgrade to v2.0.1")] == ["upgrad", "v2.0.1"]


def test_the_schema_survives_pickling_as_whoosh_stores_it() -> None:
    schema = pickle.loads(pickle.dumps(make_schema()))  # noqa: S301 (our own bytes)
    assert [t.text for t in schema["text"].analyzer("東京")] == ["東京"]
    pairs = schema["pairs"]
    assert [term for term, *_ in pairs.index(("How do I", "export it, how?"))] == [
        b"how do", b"do i", b"export how"]
    assert pairs.indexed("do", "i") and not pairs.indexed("export", "csv")
