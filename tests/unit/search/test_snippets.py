"""Snippets are escaped text with <mark> around matches, never the user's markup."""

from __future__ import annotations

from markupsafe import Markup

from forum.search.querying import analyze
from forum.search.snippets import SNIPPET_CHARS, highlight


def terms(*words: str) -> frozenset[str]:
    return frozenset(term for word in words for term in analyze(word))


def test_matches_are_marked_and_everything_else_escaped() -> None:
    snippet = highlight('<script>alert("dark")</script> & dark <b>mode</b>', terms("dark"))
    assert isinstance(snippet, Markup)
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert snippet.count("<mark>dark</mark>") == 2
    assert "&amp;" in snippet


def test_marked_words_keep_their_case_and_stems_match() -> None:
    snippet = highlight("Running apps: the App runs.", terms("running", "app"))
    assert "<mark>Running</mark>" in snippet
    assert "<mark>apps</mark>" in snippet
    assert "<mark>App</mark>" in snippet
    assert "<mark>runs</mark>" in snippet


def test_a_long_text_is_cut_around_the_matches() -> None:
    text = "filler words " * 100 + "the espresso machine leaks " + "more filler " * 100
    snippet = highlight(text, terms("espresso"))
    assert "<mark>espresso</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.striptags()) <= SNIPPET_CHARS + 10


def test_without_matches_the_start_of_the_text_is_shown() -> None:
    snippet = highlight("word " * 200, terms("absent"))
    assert "<mark>" not in snippet
    assert snippet.startswith("word") and snippet.endswith("…")


def test_cjk_matches_are_marked_whole() -> None:
    snippet = highlight("私は東京都に住んでいます", terms("東京都"))
    assert "<mark>東京都</mark>" in snippet


def test_prefix_matches_are_marked() -> None:
    snippet = highlight("Exporting and exports", frozenset(), ("export",))
    assert "<mark>Exporting</mark>" in snippet and "<mark>exports</mark>" in snippet


def test_the_whole_text_when_no_width() -> None:
    title = "A <long> title " * 40
    marked = highlight(title, terms("title"), width=None)
    assert marked.striptags().count("title") == 40
    assert "…" not in marked
