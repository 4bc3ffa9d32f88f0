"""Prose whose words follow real English frequencies, mixed with a company's product words.

wordfreq ships word frequencies measured from real text (subtitles, news, books, the web).
Each word of a free sentence is drawn on its own with those weights, so the posts have
the document frequencies of real writing: a handful of words in a large share of posts,
most in a few, a long tail seen once. One word in PRODUCT_SHARE is instead the company's
own (its name, what it makes, its features), and one sentence in TEMPLATE_SHARE is one of
words.py's product sentences, as on a product's feedback forum. Titles stay short and
product-heavy: a template, half of them followed by a few less common English words.

Every post gets a body of its own (no pool shared by many posts, which would copy its rare
words into dozens of them). Rendering each through forum.content.render would take ~1 ms a
post, so plain paragraphs are written as the pipeline writes them (`<p>...</p>`), the
lists, links and code spans come from a small pool rendered by it, and a sample of the
bodies is rendered for real and compared (`check`), so the shortcut cannot drift.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import html
import itertools
import random
import re

import wordfreq
from words import SENTENCES, Body, Vocabulary, Words

from forum.content import render

# The most frequent English words: 96% of running text, down to words seen about once in
# ten million (names, places, rare words), so the index has a long tail as real ones do.
ENGLISH_WORDS = 100_000
PRODUCT_TERMS = 40  # the company words mixed into free sentences, Zipf-weighted
PRODUCT_SHARE = 0.06
TEMPLATE_SHARE = 0.25
TITLE_TAIL = 0.5  # titles followed by a few English words
TITLE_SKIP = 150  # ... none of the 150 most frequent ("the", "was", "but")
EXTRAS = 24  # lists, links and code spans rendered per company
_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")  # no digits, no "u.s", no emoji
_CAPITALS = {"i": "I", "i'm": "I'm", "i've": "I've", "i'll": "I'll", "i'd": "I'd"}
# Slurs and obscenities, left out of posts that screenshots may show: words (sha256, 12
# digits) and, in rot13, the roots of words that are nothing else.
_LEFT_OUT_ROOTS = re.compile("|".join(codecs.decode(
    "shpx fuvg phag avtt snttbg ovgpu juber fyhg gjng jnax chffl cbea", "rot13").split()))
_LEFT_OUT_HASHES = """
0033728f0fbc 0508a634445d 08a841e99678 0c64f3ba82e0 0f28c4960d96 120f6e5b4ea3
13a465fc6616 158869a97379 2062f8009306 2a6937d721b1 2f5f6ce5ae30 30a989afc82c
31506a8448a7 341d56384afc 566f532d486c 594810adcbee 59cc3cb8a429 5a9d9dcefb56
6ac3c336e409 796e43a5a8cd 7e85c676fd97 85fc17f7069a 867d78976655 886d51e97ad7
8c5c04391361 8f5083e3e5c7 94a2b576a9f5 986c99004163 9915ba2d8222 99e367bcad7a
9ae315a94e42 ad505b0be8a4 b690cdbe59f1 bb61ef40814c bd331fb1d242 be2db2bf99f6
c2c3b68b4883 d75a838dc758 dd92623b0a4b e512a0558344 f50c51ed2315 f6952d6eef55
fa1597ae5dc4 fd70ad909b94"""
_LEFT_OUT = frozenset(_LEFT_OUT_HASHES.split())


def english() -> tuple[list[str], list[float]]:
    """The most frequent English words that are plain words, and their frequencies."""
    frequencies = wordfreq.get_frequency_dict("en")
    words = [word for word in wordfreq.top_n_list("en", ENGLISH_WORDS)
             if _WORD_RE.fullmatch(word) and not _LEFT_OUT_ROOTS.search(word)
             and hashlib.sha256(word.encode()).hexdigest()[:12] not in _LEFT_OUT]
    return words, [frequencies[word] for word in words]


class Prose:
    """Seeded titles and bodies, for every company from one English table."""

    def __init__(self, rng: random.Random, words: Words) -> None:
        self.rng, self.words = rng, words
        self.english, frequencies = english()
        self.written = [_CAPITALS.get(word, word) for word in self.english]  # "I", not "i"
        english_total = sum(frequencies)
        # One cumulative table for all companies: English, then the company's terms.
        weights = [f * (1 - PRODUCT_SHARE) / english_total for f in frequencies]
        product = [1 / (rank + 1) for rank in range(PRODUCT_TERMS)]
        weights += [w * PRODUCT_SHARE / sum(product) for w in product]
        self.cumulative = list(itertools.accumulate(weights))
        self.english_cumulative = self.cumulative[:len(self.english)]
        self._populations: dict[str, list[str]] = {}
        self._extras: dict[str, list[Body]] = {}

    def _population(self, vocabulary: Vocabulary) -> list[str]:
        found = self._populations.get(vocabulary.name)
        if found is None:
            terms = vocabulary.terms(PRODUCT_TERMS)
            assert len(terms) == PRODUCT_TERMS, vocabulary.name
            found = self._populations[vocabulary.name] = self.written + terms
        return found

    def paragraph(self, vocabulary: Vocabulary, low: int, high: int) -> str:
        """Sentences of free English and, now and then, a product sentence of words.py.

        The free sentences' words are drawn in one go (a cumulative table and a bisect per
        word, inside random.choices), which is most of the generator's time.
        """
        rng = self.rng
        lengths = [0 if rng.random() < TEMPLATE_SHARE else rng.randint(4, 18)
                   for _ in range(rng.randint(low, high))]
        drawn = rng.choices(self._population(vocabulary), cum_weights=self.cumulative,
                            k=sum(lengths))
        sentences, start = [], 0
        for length in lengths:
            if length == 0:
                sentences.append(self.words.fill(rng.choice(SENTENCES), vocabulary))
                continue
            text = " ".join(drawn[start:start + length])
            start += length
            sentences.append(text[0].upper() + text[1:] + ("?" if rng.random() < 0.1 else "."))
        return " ".join(sentences)

    def body(self, vocabulary: Vocabulary, low: int, high: int) -> Body:
        """A post: a paragraph, sometimes a list, link or code span, sometimes a second one."""
        rng = self.rng
        paragraph = self.paragraph(vocabulary, low, high)
        sources, htmls = [paragraph], [_paragraph_html(paragraph)]
        if rng.random() < 0.4:
            extra = rng.choice(self._company_extras(vocabulary))
            sources.append(extra.source)
            htmls.append(extra.html)
        if rng.random() < 0.3:
            paragraph = self.paragraph(vocabulary, 1, 3)
            sources.append(paragraph)
            htmls.append(_paragraph_html(paragraph))
        return Body("\n\n".join(sources), "".join(htmls))

    def _company_extras(self, vocabulary: Vocabulary) -> list[Body]:
        found = self._extras.get(vocabulary.name)
        if found is None:
            found = self._extras[vocabulary.name] = self.words.extras(EXTRAS, vocabulary)
        return found

    def title(self, kind: str, vocabulary: Vocabulary) -> str:
        """A product title; half end with one to three less common English words."""
        title = self.words.title(kind, vocabulary)
        if self.rng.random() >= TITLE_TAIL:
            return title
        low = self.english_cumulative[TITLE_SKIP]
        span = self.english_cumulative[-1] - low
        tail = " ".join(self.written[bisect.bisect_left(
            self.english_cumulative, low + self.rng.random() * span)]
            for _ in range(self.rng.randint(1, 3)))
        return f"{title.removesuffix('?')} {tail}" + ("?" if title.endswith("?") else "")


def _paragraph_html(text: str) -> str:
    """What forum.content.render makes of a paragraph of plain words (see `check`)."""
    return f"<p>{html.escape(text, quote=False)}</p>\n"


def check(body: Body) -> None:
    """Fail loudly if the shortcut in `body` differs from the real pipeline's output."""
    real = render(body.source).html
    if real != body.html:
        raise RuntimeError(f"prose.py renders {body.source!r} as {body.html!r}, the app "
                           f"as {real!r}")
