"""What people type becomes a safe Whoosh query: words, "phrases", -exclusions, prefix*."""

from __future__ import annotations

import random

import pytest
from whoosh import query as wq

from forum.search.phrases import Phrase
from forum.search.querying import MAX_QUERY_CHARS, MAX_TERMS, parse, to_whoosh


def leaves(q: wq.Query | None) -> list[wq.Query]:
    return [] if q is None else list(q.leaves())


def test_words_phrases_exclusions_and_prefixes_are_told_apart() -> None:
    parsed = parse('dark mode "night theme" -light export* -"status page"')
    assert parsed.words == ("dark", "mode")
    assert parsed.phrases == ("night theme",)
    assert parsed.prefixes == ("export",)
    assert parsed.excluded == ("light", "status page")
    assert parsed.notices == ()


def test_a_phrase_becomes_a_phrase_query_on_titles_and_bodies() -> None:
    assert to_whoosh(parse('"dark mode"')) == Phrase("text", ["dark", "mode"])
    assert to_whoosh(parse('"dark mode at night"')) == Phrase("text",
                                                                 ["dark", "mode", "night"])


def test_exclusions_wrap_the_query_in_and_not() -> None:
    q = to_whoosh(parse("coffee -decaf"))
    assert isinstance(q, wq.AndNot)
    assert {leaf.text for leaf in leaves(q.b)} == {"decaf"}


@pytest.mark.parametrize("raw", ['"unbalanced phrase', 'dark "mode', '"', '""', '-"', '"-"'])
def test_unbalanced_quotes_are_read_as_a_phrase_to_the_end(raw: str) -> None:
    to_whoosh(parse(raw))  # never raises
    assert parse('dark "night mode').phrases == ("night mode",)


@pytest.mark.parametrize("raw", ["-", "*", "?", "- - -", "**", "*?*", "-*", "???"])
def test_lone_operators_leave_nothing_to_search(raw: str) -> None:
    parsed = parse(raw)
    assert not parsed.has_terms
    assert to_whoosh(parsed) is None


@pytest.mark.parametrize("raw", ["*port", "?xport", "ex*ort", "*", "**export", "?"])
def test_no_query_starts_with_a_wildcard(raw: str) -> None:
    q = to_whoosh(parse(raw))
    assert not any(isinstance(leaf, (wq.Wildcard, wq.Regex)) for leaf in leaves(q))
    for leaf in leaves(q):
        assert not str(getattr(leaf, "text", "x")).startswith(("*", "?"))
        assert getattr(leaf, "text", "x") != ""


def test_a_leading_wildcard_is_dropped_with_a_notice() -> None:
    parsed = parse("*port")
    assert parsed.words == ("port",)
    assert any("end of a word" in notice for notice in parsed.notices)


def test_a_trailing_star_is_a_prefix_search_once_there_are_two_letters() -> None:
    assert parse("exp*").prefixes == ("exp",)
    assert isinstance(leaves(to_whoosh(parse("exp*")))[0], wq.Prefix)
    assert parse("e*").prefixes == ()


def test_long_queries_are_shortened_with_a_notice() -> None:
    parsed = parse("word " * 500)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert any("shortened" in notice for notice in parsed.notices)


def test_only_the_first_terms_are_searched() -> None:
    parsed = parse(" ".join(f"word{n}" for n in range(40)))
    assert len(parsed.words) == MAX_TERMS
    assert any(f"first {MAX_TERMS}" in notice for notice in parsed.notices)


def test_control_characters_are_dropped() -> None:
    assert parse("dark\x00\x07 mode\x1b[31m").words == ("dark", "mode[31m")


def test_stop_words_alone_give_no_query() -> None:
    assert to_whoosh(parse("the of and")) is None


def test_cjk_words_are_searched_as_bigram_phrases() -> None:
    assert to_whoosh(parse("東京都")) == Phrase("text", ["東京", "京都"])


def test_a_lone_cjk_character_matches_the_pairs_it_starts() -> None:
    q = to_whoosh(parse("東"))
    assert {type(leaf) for leaf in leaves(q)} == {wq.Prefix}


@pytest.mark.parametrize(("raw", "term"), [
    ("Привет", "привет"), ("مرحبا", "مرحبا"), ("CAFÉ", "cafe"), ("Ελληνικά", "ελληνικά"),
])
def test_other_scripts_become_lower_cased_terms(raw: str, term: str) -> None:
    assert term in {leaf.text for leaf in leaves(to_whoosh(parse(raw)))}


NASTY = [
    "", " ", "\x00", "\u200b", "\ufeff", "💥", "🙂🙂", "a" * 10_000, "-" * 300, '"' * 301,
    "((((", "))))", "[a TO b]", "title:foo", "a:b:c", "foo^3", "foo~2", "NOT", "AND OR NOT",
    "\\", "\\\\\"", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\ud800",
    "\u202ethgir", "ﷺ", "a\tb\nc\rd", "e-mail", "C++", "c#", ".net", "v2.0.1", "3.14",
    "東京都に住んでいます", "مرحبا بالعالم", "Съешь же ещё этих мягких", "हिन्दी", "ไทย",
    "*" * 50, "?" * 50, "-*-?-", '-"', '"-', "*a*b*c*", "{}", "@@@", "#hashtag",
]


@pytest.mark.parametrize("raw", NASTY)
def test_nasty_input_never_raises(raw: str) -> None:
    to_whoosh(parse(raw))


def test_random_input_never_raises() -> None:
    rng = random.Random(20240601)
    alphabet = 'ab -"*?:()[]{}^~\\\x00é東🙂ب\u200b\n'
    for _ in range(2_000):
        to_whoosh(parse("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))))
