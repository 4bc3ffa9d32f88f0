"""A realistic query set for a generated data set, drawn the way people search a forum.

    .venv/bin/python bench/queries.py --database-url sqlite:////tmp/cocreate-bench-S.db

Reads the database and the search index generate.py built for it and writes
bench/out/queries-<scale>.json: the same database and seed give the same queries. Each
query is {q, params, category, expected_thread_id}: `q` and `params` are the arguments of
GET /search exactly as the page takes them (company is a slug, status a status value,
sort "votes" or "newest"); expected_thread_id is the thread a known-answer query must
find (in the top 3, by search_bench.py's measure), null for the others.

Categories: the 20 most common indexed words (the worst case); single words from four
frequency bands; two and three words from a title or a reply; quoted phrases; prefixes
(`foo*`); a word within one company; a word among ideas of one status; a word sorted by
votes, and by newest. Known answers: the exact title of an idea no other thread shares,
and a word that appears in one reply and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared import DEFAULT_OUT, sqlalchemy_url, workdir
from sqlalchemy import Connection, create_engine, text
from termstats import bounds, open_searcher, surface_words, top_terms

from forum.search.querying import analyze

STATUSES = ["open", "under_review", "planned", "in_progress", "shipped", "declined"]
# (category, how many): 250 in all, plus the known answers.
PLAN = {"top20": 20, "single": 40, "two_words": 30, "three_words": 25, "phrase": 25,
        "prefix": 20, "company": 25, "status": 25, "sort_votes": 20, "sort_newest": 20}
BANDS = [(21, 100), (101, 1_000), (1_001, 10_000), (10_001, None)]  # ranks, 1-based
KNOWN_TITLES = 15
KNOWN_WORDS = 15
_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass
class Query:
    q: str
    category: str
    params: dict[str, str] = field(default_factory=dict)
    expected_thread_id: int | None = None


@dataclass
class Corpus:
    """What the queries are drawn from: visible text, by thread, and the index's words."""

    companies: list[str]  # slugs, by id
    titles: list[tuple[int, str, str]]  # (thread id, kind, title) of visible threads
    replies: list[tuple[int, str]]  # (thread id, body) of visible replies
    ranked: list[tuple[str, int]]  # (word as typed, documents), most common first
    top: list[str]  # the 20 most common indexed words, as typed


def load(connection: Connection, ranked: list[tuple[str, int]], top: list[str]) -> Corpus:
    visible = ("FROM threads t LEFT JOIN ideas i ON i.thread_id = t.id "
               "WHERE t.hidden_at IS NULL AND i.merged_into_id IS NULL")
    return Corpus(
        companies=list(connection.scalars(text("SELECT slug FROM companies ORDER BY id"))),
        titles=[tuple(row) for row in connection.execute(text(
            f"SELECT t.id, t.kind, t.title {visible} ORDER BY t.id"))],
        replies=[tuple(row) for row in connection.execute(text(
            "SELECT p.thread_id, p.body_source FROM posts p JOIN threads t ON t.id = "
            "p.thread_id LEFT JOIN ideas i ON i.thread_id = t.id WHERE p.number > 1 AND "
            "p.kind = 'reply' AND p.hidden_at IS NULL AND t.hidden_at IS NULL AND "
            "i.merged_into_id IS NULL ORDER BY p.id"))],
        ranked=ranked, top=top)


def ranked_words(searcher: Any) -> tuple[list[tuple[str, int]], list[str]]:
    """Indexed words most common first (by termstats' upper bound), as people type them;
    and the 20 most common, counted exactly."""
    surfaces = surface_words()
    upper = bounds(searcher)
    ranked = [(surfaces[term], count) for term, count in
              sorted(upper.items(), key=lambda item: (-item[1], item[0]))
              if term in surfaces and _WORD_RE.fullmatch(surfaces[term])]
    top = [stat.word for stat in top_terms(searcher, 20, surfaces)]
    return ranked, top


class Drawer:
    """Seeded draws from the corpus, one method per kind of query."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.corpus, self.rng = corpus, rng

    def band(self, low: int, high: int | None) -> str:
        ranked = self.corpus.ranked
        last = len(ranked) if high is None else min(high, len(ranked))
        low = min(low, last)  # a small vocabulary has no tail: its last words stand in
        for _ in range(1_000):
            word, documents = ranked[self.rng.randint(low, last) - 1]
            if documents >= 2:
                break
        return word

    def searched_word(self) -> str:
        """A word people search for: from the common head half the time, else the middle."""
        return self.band(21, 200) if self.rng.random() < 0.5 else self.band(201, 5_000)

    def words_from_text(self, count: int, phrase: bool = False) -> str:
        """`count` words in a row from a title (half the time) or a reply: for a phrase
        exactly as written, else skipping the words search ignores."""
        while True:
            if self.rng.random() < 0.5:
                source = self.rng.choice(self.corpus.titles)[2]
            else:
                source = self.rng.choice(self.corpus.replies)[1]
            words = _WORD_RE.findall(source.lower())
            if not phrase:
                words = [word for word in words if analyze(word)]
            if len(words) >= count:
                start = self.rng.randrange(len(words) - count + 1)
                chosen = words[start:start + count]
                if phrase and len([w for w in chosen if analyze(w)]) < 2:
                    continue
                return " ".join(chosen)

    def prefix(self) -> str:
        while True:
            word = self.band(21, 5_000)
            if len(word) >= 4 and "'" not in word:
                return word[:self.rng.choice([2, 3, 3, 4, 4, 5])] + "*"


def everyday(drawer: Drawer) -> Iterator[Query]:
    """The 250 queries without a known answer."""
    rng, corpus = drawer.rng, drawer.corpus
    yield from (Query(word, "top20") for word in corpus.top)
    per_band = PLAN["single"] // len(BANDS)
    for low, high in BANDS:
        yield from (Query(drawer.band(low, high), "single") for _ in range(per_band))
    yield from (Query(drawer.words_from_text(2), "two_words") for _ in range(PLAN["two_words"]))
    yield from (Query(drawer.words_from_text(3), "three_words")
                for _ in range(PLAN["three_words"]))
    yield from (Query(f'"{drawer.words_from_text(rng.choice([2, 3]), phrase=True)}"', "phrase")
                for _ in range(PLAN["phrase"]))
    yield from (Query(drawer.prefix(), "prefix") for _ in range(PLAN["prefix"]))
    filters: dict[str, Callable[[], dict[str, str]]] = {
        "company": lambda: {"company": rng.choice(corpus.companies)},
        "status": lambda: {"status": rng.choice(STATUSES)},
        "sort_votes": lambda: {"sort": "votes"},
        "sort_newest": lambda: {"sort": "newest"},
    }
    for category, params in filters.items():
        for _ in range(PLAN[category]):
            yield Query(drawer.searched_word(), category, params())


def known_titles(corpus: Corpus, rng: random.Random) -> list[Query]:
    """Ideas whose title no other thread has, even after analysis (as search sees it)."""
    seen = Counter(tuple(analyze(title)) for _id, _kind, title in corpus.titles)
    unique = [(thread_id, title) for thread_id, kind, title in corpus.titles
              if kind == "idea" and seen[tuple(analyze(title))] == 1]
    return [Query(title, "known_title", expected_thread_id=thread_id)
            for thread_id, title in rng.sample(unique, min(KNOWN_TITLES, len(unique)))]


def known_words(corpus: Corpus, connection: Connection, rng: random.Random) -> list[Query]:
    """Words in one visible reply and in nothing else the index holds (titles, opening
    posts, other replies, hidden ones too), counting every word that stems the same."""
    documents: Counter[str] = Counter()
    for body in connection.scalars(text("SELECT body_source FROM posts")):
        documents.update(set(_WORD_RE.findall(body.lower())))
    for _id, _kind, title in corpus.titles:
        documents.update(set(_WORD_RE.findall(title.lower())))
    by_stem: Counter[str] = Counter()
    stems: dict[str, str] = {}
    for word, count in documents.items():
        terms = analyze(word)
        if len(terms) == 1:
            stems[word] = terms[0]
            by_stem[terms[0]] += count
    once = {word for word, count in documents.items() if count == 1 and len(word) >= 5
            and "'" not in word and word in stems and by_stem[stems[word]] == 1}
    found: dict[str, int] = {}
    for thread_id, body in corpus.replies:
        for word in set(_WORD_RE.findall(body.lower())) & once:
            found[word] = thread_id
    words = sorted(found)
    return [Query(word, "known_rare_word", expected_thread_id=found[word])
            for word in rng.sample(words, min(KNOWN_WORDS, len(words)))]


def build(database_url: str, seed: int) -> list[Query]:
    engine = create_engine(sqlalchemy_url(database_url))
    with open_searcher(database_url) as searcher:
        ranked, top = ranked_words(searcher)
    with engine.connect() as connection:
        corpus = load(connection, ranked, top)
        rng = random.Random(seed)
        queries = list(everyday(Drawer(corpus, rng)))
        queries += known_titles(corpus, rng) + known_words(corpus, connection, rng)
    engine.dispose()
    return queries


def scale_of(database_url: str) -> str:
    """The scale generate.py recorded for this database, for the file's name."""
    meta = workdir(database_url) / "dataset.json"
    return json.loads(meta.read_text()).get("scale", "custom") if meta.exists() else "custom"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/cocreate-bench-S.db")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="default: bench/out/queries-<scale>.json")
    args = parser.parse_args()
    queries = build(args.database_url, args.seed)
    out = args.out or DEFAULT_OUT / f"queries-{scale_of(args.database_url)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"database": args.database_url, "seed": args.seed,
                               "queries": [asdict(query) for query in queries]}, indent=1))
    counts = Counter(query.category for query in queries)
    print(f"{len(queries)} queries into {out}: "
          + ", ".join(f"{count} {category}" for category, count in counts.items()))


if __name__ == "__main__":
    main()
