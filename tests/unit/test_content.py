"""forum.content: Markdown in, safe HTML out.

The XSS corpus is checked by *parsing* the output the way a browser would (html5lib, the
HTML5 parsing algorithm, vendored by bleach) and, independently, with the stdlib parser and
a raw scan for tag openers, so one parser's leniency cannot hide a surviving tag.
"""

from __future__ import annotations

import importlib
import random
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from forum import content
from forum.content import MAX_SOURCE_LENGTH, Rendered, quote, render, render_plain_excerpt
from forum.content.sanitizing import sanitize

# bleach's vendored copy (html5lib is not a direct dependency, and has no type stubs).
html5lib = importlib.import_module("bleach._vendor.html5lib")

REL = "nofollow ugc noopener"
# The test's own copy of the allowlist: widening the module's must be a deliberate change here.
TAGS = {"p", "br", "hr", "a", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote"}
TAGS |= {"ul", "ol", "li", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {
    "a": {"href", "title", "rel", "class"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:", "file:")


def load_corpus() -> list[str]:
    """One payload a line, Python escapes decoded; see the header of xss_corpus.txt."""
    lines = Path(__file__).with_name("xss_corpus.txt").read_text(encoding="utf-8").splitlines()
    return [
        line.encode("latin-1", "backslashreplace").decode("unicode_escape")
        for line in lines
        if line.strip() and not line.startswith("#")
    ]


PAYLOADS = load_corpus()
CONTEXTS = {
    "bare": "{}",
    "paragraph": "Look: {} and more text",
    "quote": "> {}",
    "list": "- item\n- {}",
    "heading": "# {}",
    "table": "| h |\n|---|\n| {} |",
    "link-text": "[{}](https://example.com)",
    "emphasis": "**{}**",
}


def everyone(names: Iterable[str]) -> set[str]:
    """A resolver for which every candidate exists: the most links, the most attack surface."""
    return set(names)


# --- safety checks ------------------------------------------------------------------------


def check_href(href: str) -> None:
    """http, https, mailto or relative; no dangerous scheme however it is encoded."""
    compact = re.sub(r"[\x00-\x20\x7f-\x9f]", "", href).lower()
    scheme = re.match(r"([a-z][a-z0-9+.-]*):", compact)  # urlsplit raises on odd hosts
    assert scheme is None or scheme.group(1) in {"http", "https", "mailto"}, href
    for variant in (compact, unescape(compact), unquote(compact), unquote(unescape(compact))):
        for bad in DANGEROUS_SCHEMES:
            assert not variant.startswith(bad), href
        assert "javascript:" not in variant, href


def check_element(tag: str, attrs: dict[str, str]) -> None:
    assert tag in TAGS, f"element <{tag}> is not allowed"
    for name, value in attrs.items():
        assert not name.lower().startswith("on"), f"event handler {name} on <{tag}>"
        assert name.lower() != "style", f"style attribute on <{tag}>"
        assert name in ATTRIBUTES.get(tag, set()), f"attribute {name} on <{tag}>"
        if name == "href":
            check_href(value)
        if name == "class":
            assert (
                value == "mention" if tag == "a" else re.fullmatch(r"language-[a-z0-9+-]+", value)
            )
        if name == "align":
            assert value in {"left", "center", "right"}
    if tag == "a":
        assert attrs.get("rel") == REL, f"<a> with rel={attrs.get('rel')!r}"


class StdlibElements(HTMLParser):
    """Second opinion from a different parser: every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"unknown declaration {data!r}")


def assert_safe(html: str) -> None:
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if element is fragment:
            continue
        assert isinstance(element.tag, str), "comment or processing instruction survived"
        check_element(element.tag, dict(element.attrib))
    parser = StdlibElements()
    parser.feed(html)
    parser.close()
    assert not parser.other
    for tag, attrs in parser.elements:
        check_element(tag, attrs)
    for opener in re.findall(r"<\s*/?\s*([^\s/>]*)", html):
        assert opener.lower() in TAGS, f"raw tag opener <{opener}"


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = StdlibElements()
    parser.feed(html)
    parser.close()
    return parser.elements


def links(html: str) -> list[dict[str, str]]:
    return [attrs for tag, attrs in elements(html) if tag == "a"]


# --- the XSS corpus -----------------------------------------------------------------------


def test_allowlist_is_the_reviewed_one() -> None:
    attributes = {tag: set(names) for tag, names in content.ALLOWED_ATTRIBUTES.items()}
    attributes["a"].add("rel")  # forced by the sanitizers rather than allowed from input
    assert attributes == ATTRIBUTES
    assert set(content.ALLOWED_TAGS) == TAGS
    assert set(content.ALLOWED_PROTOCOLS) == {"http", "https", "mailto"}


def test_corpus_is_big_enough() -> None:
    assert len(PAYLOADS) >= 80
    assert len(set(PAYLOADS)) == len(PAYLOADS), "duplicate payloads"


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=list(CONTEXTS))
@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"xss{i:03}" for i in range(len(PAYLOADS))])
def test_render_neutralises_payload(payload: str, context: str) -> None:
    assert_safe(render(context.format(payload), known_users=everyone).html)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"xss{i:03}" for i in range(len(PAYLOADS))])
def test_sanitizers_alone_neutralise_raw_html(payload: str) -> None:
    """Markdown escapes raw HTML before the sanitizers see it; here they must stand alone."""
    assert_safe(sanitize(payload))


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "\uff1cscript\uff1e",
        "+ADw-script+AD4-",
    ],
)
def test_markup_looking_text_stays_visible_text(source: str) -> None:
    html = render(source).html
    assert elements(html) == [("p", {})]
    text = unescape(re.sub(r"<[^>]+>", "", html)).strip()
    assert text == unescape(source) or text == source


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](%6Aavascript:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "javascript:alert(1)",
    ],
)
def test_dangerous_links_are_not_links(source: str) -> None:
    html = render(source).html
    assert links(html) == []
    assert "href" not in html


SOUP = [
    *"<>\"'`*_[]()!#-|:/@.&;=\\ \n\tjavascriptonerror%0",
    "<script>",
    "javascript:",
    "<a href=",
    "](",
    "![",
    "@alice",
    "/c/a/t/1-x",
    "https://e.com/",
    "&#106;",
    "\x00",
    "```",
    "> ",
    "- ",
    "| ",
    "<svg",
    "data:",
    "<table>",
    "<math>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<style>",
    "</a>",
    "<td align=left>",
    "<ol start=",
    "<b onclick=",
]


@pytest.mark.parametrize("seed", range(20))
def test_random_markup_soup_is_safe(seed: int) -> None:
    """Seeded fuzzing; an unseeded version of this ran ~100,000 inputs during development."""
    rng = random.Random(seed)
    for _ in range(25):
        soup = "".join(rng.choice(SOUP) for _ in range(rng.randint(1, 300)))
        assert_safe(render(soup, known_users=everyone).html)
        assert_safe(sanitize(soup))


# --- ordinary Markdown --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "*a* **b** _c_ __d__",
            "<p><em>a</em> <strong>b</strong> <em>c</em> <strong>d</strong></p>",
        ),
        ("~~gone~~", "<p><s>gone</s></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'),
        ("> quoted\n> text", "<blockquote>\n<p>quoted\ntext</p>\n</blockquote>"),
        ("`a < b`", "<p><code>a &lt; b</code></p>"),
        ("```\n<b>x</b> & y\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt; &amp; y\n</code></pre>"),
        ("    indented <i>", "<pre><code>indented &lt;i&gt;\n</code></pre>"),
        ("```Python\nx = 1\n```", '<pre><code class="language-python">x = 1\n</code></pre>'),
        ("```c++\nx\n```", '<pre><code class="language-c++">x\n</code></pre>'),
        ('```py" onclick="x\nx\n```', "<pre><code>x\n</code></pre>"),
        ("a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
        ("line  \nbreak", "<p>line<br>\nbreak</p>"),
        ("# One", "<h3>One</h3>"),
        ("## Two", "<h4>Two</h4>"),
        ("### Three", "<h5>Three</h5>"),
        ("###### Six", "<h6>Six</h6>"),
        ("Setext\n======", "<h3>Setext</h3>"),
        ("a & b < c", "<p>a &amp; b &lt; c</p>"),
    ],
)
def test_markdown_renders(source: str, expected: str) -> None:
    assert render(source).html.strip() == expected


def test_table_alignment_uses_align_not_style() -> None:
    html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |").html
    assert "style" not in html
    cells = [(tag, attrs) for tag, attrs in elements(html) if tag in {"th", "td"}]
    assert [attrs.get("align") for _, attrs in cells] == ["left", "center", "right"] * 2
    assert [tag for tag, _ in elements(html)][:3] == ["table", "thead", "tr"]


@pytest.mark.parametrize(
    ("source", "href", "text"),
    [
        ("[site](https://example.com/a?b=1)", "https://example.com/a?b=1", "site"),
        ('[t](https://example.com "Title")', "https://example.com", "t"),
        ("<https://example.com/x>", "https://example.com/x", "https://example.com/x"),
        ("<bob@example.com>", "mailto:bob@example.com", "bob@example.com"),
        ("[mail](mailto:bob@example.com)", "mailto:bob@example.com", "mail"),
        ("[rel](/c/acme)", "/c/acme", "rel"),
        ("see https://example.com/path.", "https://example.com/path", "https://example.com/path"),
        ("see example.com today", "https://example.com", "example.com"),
        ("(www.example.org)", "https://www.example.org", "www.example.org"),
        ("example.com:8080/p", "https://example.com:8080/p", "example.com:8080/p"),
        ("http://plain.example.com", "http://plain.example.com", "http://plain.example.com"),
        ("https://new.dev/x", "https://new.dev/x", "https://new.dev/x"),
        ("(https://w.org/Foo_(bar))", "https://w.org/Foo_(bar)", "https://w.org/Foo_(bar)"),
        ("![logo](https://example.com/logo.png)", "https://example.com/logo.png", "logo"),
    ],
)
def test_links_get_rel_and_keep_target(source: str, href: str, text: str) -> None:
    html = render(source).html
    found = links(html)
    assert len(found) == 1
    assert found[0]["href"] == href
    assert found[0]["rel"] == REL
    assert "target" not in found[0]
    assert f">{text}</a>" in unescape(html)


@pytest.mark.parametrize(
    "source",
    ["see setup.py", "edit README.md", "run build.sh", "lib.rs", "x.y", "version 1.2.3", "a-b-c"],
)
def test_file_names_are_not_linkified(source: str) -> None:
    assert links(render(source).html) == []


@pytest.mark.parametrize(
    "source",
    ["`https://example.com`", "```\nhttps://example.com\n```", "    example.com"],
)
def test_no_linkify_in_code(source: str) -> None:
    assert links(render(source).html) == []


def test_no_images_ever() -> None:
    html = render("![a](https://example.com/a.png) [![b](https://e.com/b.png)](https://e.com)").html
    assert "<img" not in html
    assert [link["href"] for link in links(html)] == ["https://example.com/a.png", "https://e.com"]


# --- mentions -----------------------------------------------------------------------------


class Resolver:
    """Records calls; knows a fixed set of users."""

    def __init__(self, *known: str) -> None:
        self.known = set(known)
        self.calls: list[list[str]] = []

    def __call__(self, names: Iterable[str]) -> set[str]:
        names = list(names)
        self.calls.append(names)
        return self.known & set(names)


def mention_links(html: str) -> list[dict[str, str]]:
    return [attrs for attrs in links(html) if attrs.get("class") == "mention"]


def test_known_mention_is_linked() -> None:
    result = render("thanks @Alice!", known_users=Resolver("alice"))
    assert mention_links(result.html) == [{"href": "/u/alice", "class": "mention", "rel": REL}]
    assert ">@Alice</a>!" in result.html
    assert result.mentions == ("alice",)


def test_unknown_mention_stays_text() -> None:
    result = render("hi @nobody", known_users=Resolver("alice"))
    assert links(result.html) == []
    assert result.mentions == ()


def test_without_resolver_nothing_is_linked() -> None:
    result = render("hi @alice")
    assert links(result.html) == []
    assert result.mentions == ()


def test_mentions_lower_cased_unique_in_order_and_one_resolver_call() -> None:
    resolver = Resolver("bob", "alice", "carol")
    result = render(
        "@Bob and @alice\n\n> @BOB again, @carol, @dave\n\n- @ALICE", known_users=resolver
    )
    assert result.mentions == ("bob", "alice", "carol")
    assert resolver.calls == [["bob", "alice", "carol", "dave"]]
    assert len(mention_links(result.html)) == 5  # @dave is unknown


def test_resolver_not_called_without_candidates() -> None:
    resolver = Resolver("alice")
    assert render("no mentions here, bob@example.com", known_users=resolver).mentions == ()
    assert resolver.calls == []


def test_resolver_answer_is_case_insensitive_and_limited_to_candidates() -> None:
    result = render("@alice", known_users=lambda names: {"ALICE", "mallory"})
    assert result.mentions == ("alice",)


@pytest.mark.parametrize(
    "source",
    [
        "`@alice`",
        "```\n@alice\n```",
        "    @alice in indented code",
        "mail alice@example.com",
        "bob@alice.com",
        "[@alice](https://example.com)",
        "<https://example.com/@alice>",
        "https://medium.com/@alice",
        "example.com/@alice",
        "\\@alice",
        "@al",
        "@" + "a" * 31,
        "@_alice",
        "@alice@example.com",
        "@alice.example",
    ],
)
def test_not_a_mention(source: str) -> None:
    resolver = Resolver("alice", "al", "a" * 31, "_alice")
    result = render(source, known_users=resolver)
    assert mention_links(result.html) == []
    assert result.mentions == ()
    assert all("alice" not in call for call in resolver.calls)


@pytest.mark.parametrize(
    "source",
    [
        "@alice",
        "(@alice)",
        "@alice's idea",
        "@alice, hi",
        "end @alice.",
        "**@alice**",
        "# @alice",
        "| @alice |\n|---|",
        "> - @alice",
        "@alice_2",
        "@2alice",
    ],
)
def test_is_a_mention(source: str) -> None:
    name = re.search(r"@(\w+)", source).group(1)  # type: ignore[union-attr]
    result = render(source, known_users=Resolver(name.lower()))
    assert result.mentions == (name.lower(),)
    assert mention_links(result.html)[0]["href"] == f"/u/{name.lower()}"


def test_escaped_underscore_does_not_truncate_a_name() -> None:
    result = render("@ali\\_ce", known_users=Resolver("ali", "ali_ce"))
    assert result.mentions == ()


# --- thread links -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "ids"),
    [
        ("see /c/acme/t/12-some-slug", (12,)),
        ("see https://cocreate.example/c/acme/ideas/7-better-search.", (7,)),
        ("[that one](/c/acme/t/3-y)", (3,)),
        ("<https://cocreate.example/c/acme/t/4-z>", (4,)),
        ("/c/acme/t/5-a then /c/beta/ideas/3-b then /c/acme/t/5-a", (5, 3)),
        ("/c/acme/t/9", (9,)),
        ("https://cocreate.example/c/acme/t/8-x?page=2#post-3", (8,)),
        ("`/c/acme/t/12-x`", ()),
        ("```\nhttps://cocreate.example/c/acme/t/12-x\n```", ()),
        ("/c/acme/t/abc-x /c/acme/x/5-y /c/acme/t/", ()),
        ("[x](javascript:/c/acme/t/5-x)", ()),
        ("ftp://example.com/c/acme/t/5-x", ()),
    ],
)
def test_thread_ids(source: str, ids: tuple[int, ...]) -> None:
    result = render(source, thread_areas=("t", "ideas"))  # forum's and a plug-in's pages
    assert result.thread_ids == ids
    assert_safe(result.html)


def test_only_the_apps_thread_areas_are_thread_links() -> None:
    assert render("see /c/acme/ideas/7-better-search").thread_ids == ()
    assert render("see /c/acme/ideas/7-x", thread_areas=("ideas",)).thread_ids == (7,)


def test_bare_thread_path_becomes_relative_link() -> None:
    html = render("dup of /c/acme/t/12-some-slug.").html
    assert links(html) == [{"href": "/c/acme/t/12-some-slug", "rel": REL}]


# --- excerpt ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "length", "expected"),
    [
        ("<p>short</p>", 200, "short"),
        ("<p>a</p><p>b</p>\n<ul><li>c</li></ul>", 200, "a b c"),
        ("<p>a &amp; b &lt;c&gt;</p>", 200, "a & b <c>"),
        ("<p>one   two\n\n three</p>", 200, "one two three"),
        ("<p>alpha beta gamma delta</p>", 16, "alpha beta…"),
        ("<p>alpha beta, gamma delta</p>", 17, "alpha beta…"),
        ("<p>alpha beta gamma</p>", 11, "alpha beta…"),
        ("<p>alpha beta gamma</p>", 10, "alpha…"),
        ("<p>supercalifragilistic</p>", 6, "super…"),
        ("<p>exactly ten</p>", 11, "exactly ten"),
        ("<p>anything</p>", 0, ""),
        ("", 200, ""),
    ],
)
def test_render_plain_excerpt(html: str, length: int, expected: str) -> None:
    assert render_plain_excerpt(html, length) == expected


def test_excerpt_of_long_post_respects_length() -> None:
    html = render("word " * 500).html
    excerpt = render_plain_excerpt(html)
    assert len(excerpt) <= 200
    assert excerpt.endswith("word…")


# --- quote --------------------------------------------------------------------------------


def test_quote_format() -> None:
    assert quote("hello\nworld", "alice") == "> @alice wrote:\n>\n> hello\n> world\n\n"


def test_quote_renders_as_attributed_blockquote() -> None:
    source = quote("first\n\n> earlier quote\n\n```\ncode\n```", "alice") + "my reply"
    result = render(source, known_users=Resolver("alice"))
    assert result.mentions == ("alice",)
    tags = [tag for tag, _ in elements(result.html)]
    assert tags[:2] == ["blockquote", "p"]
    assert tags.count("blockquote") == 2
    assert "pre" in tags
    assert result.html.rstrip().endswith("<p>my reply</p>")


def test_quote_with_odd_author_cannot_mention_or_inject() -> None:
    source = quote("text", "x @bob <b>[y](javascript:1)")
    result = render(source, known_users=Resolver("bob"))
    assert result.mentions == ()
    assert links(result.html) == []
    assert_safe(result.html)


def test_quote_of_empty_source() -> None:
    assert quote("\n\n", "alice") == "> @alice wrote:\n\n"


# --- normalisation and robustness ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a\x00b", "ab"),
        ("a\x07\x08\x0b\x0c\x1b\x7fb", "ab"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\tb", "a\tb"),
        ("e\u0301", "\u00e9"),
        ("bad \ud800 surrogate", "bad \ufffd surrogate"),
        ("c1\x85\x9bchars", "c1chars"),
    ],
)
def test_normalize_source(source: str, expected: str) -> None:
    assert content.normalize_source(source) == expected


def test_control_characters_never_reach_html() -> None:
    html = render("<scr\x00ipt>a\x01b\x1b[31mc\r\n").html
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", html)
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "x" * MAX_SOURCE_LENGTH,
        ("word https://example.com/a @alice `code` *em* [l](https://e.com)\n" * 400)[:20_000],
        ">" * MAX_SOURCE_LENGTH,
        "> " * (MAX_SOURCE_LENGTH // 2),
        "[" * MAX_SOURCE_LENGTH,
        "![" * (MAX_SOURCE_LENGTH // 2),
        "[a" * (MAX_SOURCE_LENGTH // 6) + "](b)" * (MAX_SOURCE_LENGTH // 6),
        "[" * (MAX_SOURCE_LENGTH - 1) + "]",
        "*a **a " * (MAX_SOURCE_LENGTH // 7),
        "`" * MAX_SOURCE_LENGTH,
        "\n".join(" " * (2 * i) + "- x" for i in range(150)),
        "- " * (MAX_SOURCE_LENGTH // 2),
        "a-" * (MAX_SOURCE_LENGTH // 2),
        "a." * (MAX_SOURCE_LENGTH // 2),
        "(" * MAX_SOURCE_LENGTH,
        "(-" * (MAX_SOURCE_LENGTH // 2),
        "https://a" * (MAX_SOURCE_LENGTH // 9),
        "|a|b|\n|-|-|\n" + "|x|y|\n" * 3300,
        "<" * MAX_SOURCE_LENGTH,
        "&#" * (MAX_SOURCE_LENGTH // 2),
        "@abc " * (MAX_SOURCE_LENGTH // 5),
        "\x00" * MAX_SOURCE_LENGTH,
        "\ud800\udfff" * 100,
        bytes(range(256)).decode("latin-1") * 50,
        "x" * (MAX_SOURCE_LENGTH * 3),
        "",
        "   \n\n  ",
    ],
    ids=lambda source: f"{source[:12]!r}x{len(source)}",
)
def test_pathological_input_renders_safely(source: str) -> None:
    # How long these take is measured by bench/content_bench.py, not asserted here.
    result = render(source, known_users=everyone)
    assert isinstance(result, Rendered)
    assert_safe(result.html)


def test_overlong_input_is_cut_to_the_limit() -> None:
    html = render("x" * (MAX_SOURCE_LENGTH + 50)).html
    assert html.count("x") == MAX_SOURCE_LENGTH


def test_rendered_is_frozen() -> None:
    result = render("hi")
    with pytest.raises(AttributeError):
        result.html = "<script>"  # type: ignore[misc]


def test_resolver_errors_propagate() -> None:
    def broken(names: Iterable[str]) -> set[str]:
        raise ConnectionError("database is down")

    with pytest.raises(ConnectionError, match="database is down"):
        render("hi @alice", known_users=broken)


def test_unexpected_parser_failure_falls_back_to_escaped_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object) -> None:
        raise RecursionError("nobody foresaw this")

    monkeypatch.setattr(content, "markdown_to_html", explode)  # the name render calls
    result = render("<b>bold</b>\nline two @alice", known_users=everyone)
    assert result.html == "<p>&lt;b&gt;bold&lt;/b&gt;<br>\nline two @alice</p>"
    assert result.mentions == ()
    assert "markdown rendering failed" in caplog.text


def test_concurrent_renders_agree() -> None:
    source = "# T\n\n*hi* @alice example.com\n\n| a |\n|---|\n| b |\n\n" + PAYLOADS[0]
    expected = render(source, known_users=everyone)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: render(source, known_users=everyone), range(64)))
    assert all(result == expected for result in results)
