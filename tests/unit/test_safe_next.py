"""safe_next: a path on this site is followed; anything a browser, proxy or server could
read as another site, or as a script, falls back to the default."""

from __future__ import annotations

import pytest

from forum.web import safe_next

DEFAULT = "/c/acme/t/1-default"


@pytest.mark.parametrize("target", [
    "https://elsewhere.example",
    "http://elsewhere.example/c/acme",
    "//elsewhere.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",  # encoded twice: a second decoding makes it //evil
    "/%2525252F%2525252Fevil.example",  # more decodings than anyone should do
    "/%09/evil.example",
    "/%00",
    "\t//evil",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    " //evil.example",
    "\n//evil.example",
    "\u0085//evil.example",
    "/\x00",
    "/\x7f",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "elsewhere.example",
    "c/acme",
    "",
    None,
])
def test_anything_but_a_local_path_falls_back(target: str | None) -> None:
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize("target", [
    "/",
    "/c/acme/t/7-how-do-i-descale",
    "/c/acme/ideas?sort=new&page=2",
    "/search?q=a%2F%2Fb",  # encoded slashes in a query are the query's business
    "/search?q=%5C",
    "/c/acme/ideas/3-caf%C3%A9",
    "/c/acme/t/7#post-3",
    "/javascript:alert(1)",  # a path on this site, however odd
])
def test_a_path_on_this_site_is_followed(target: str) -> None:
    assert safe_next(target, DEFAULT) == target
