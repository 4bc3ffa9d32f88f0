"""The most common indexed words of a generated data set, and the share of documents and
threads each is in: what a search for one of them has to wade through.

    .venv/bin/python bench/termstats.py --database-url sqlite:////tmp/cocreate-bench-S.db

Reads the Whoosh index that generate.py built for that database (`flask search reindex`),
so the words are index terms: lower-cased, stop words gone, stemmed ("was" is "wa"); each
is shown with the commonest word it stands for. A document is a thread (its title and
opening post) or a reply; threads are what the search page lists.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from prose import english
from shared import index_dir
from whoosh.searching import Searcher
from words import DOMAINS, FEATURES, OBJECTS, PLACES, PROBLEMS, VERBS

from forum.search.querying import TEXT_FIELD, analyze
from forum.search.schema import POST, THREAD
from forum.search.store import IndexStore

CANDIDATES = 4  # the top terms by an upper bound, this many times over, are counted exactly


@dataclass(frozen=True)
class TermStat:
    term: str  # as indexed
    word: str  # the commonest word that is indexed as `term`
    documents: int
    threads: int


@dataclass(frozen=True)
class Totals:
    documents: int
    threads: int


def open_searcher(database_url: str) -> Searcher:
    """A searcher on the current index generate.py built for this database."""
    return IndexStore(index_dir(database_url)).open_current().index.searcher()


def totals(searcher: Searcher) -> Totals:
    reader = searcher.reader()
    threads = reader.doc_frequency("doc_type", THREAD)
    return Totals(threads + reader.doc_frequency("doc_type", POST), threads)


def bounds(searcher: Searcher) -> dict[str, int]:
    """Every indexed word with the documents it is in (a title or a body)."""
    found: dict[str, int] = {}
    for term, info in searcher.reader().iter_field(TEXT_FIELD):
        text = term.decode() if isinstance(term, bytes) else term
        found[text] = found.get(text, 0) + info.doc_frequency()
    return found


def exact(searcher: Searcher, term: str) -> tuple[int, int]:
    """(documents, threads) with `term` in a title or a body."""
    documents: set[int] = set()
    threads: set[bytes] = set()
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        thread_of = reader.column_reader("thread_id")
        ids: set[int] = set()
        if (TEXT_FIELD, term) in reader:
            ids.update(reader.postings(TEXT_FIELD, term).all_ids())
        documents.update(offset + doc for doc in ids)
        threads.update(thread_of[doc] for doc in ids)
    return len(documents), len(threads)


def surface_words(extra: Iterable[str] = ()) -> dict[str, str]:
    """Index term -> the most frequent English (or product) word analysed into it."""
    words, _frequencies = english()  # most frequent first
    product = [part for phrase in (*FEATURES, *PLACES, *VERBS, *OBJECTS, *PROBLEMS,
                                   *(noun for domain in DOMAINS for noun in domain))
               for part in phrase.lower().split()]
    found: dict[str, str] = {}
    for word in (*words, *product, *extra):
        terms = analyze(word)
        if len(terms) == 1:
            found.setdefault(terms[0], word)
    return found


def top_terms(searcher: Searcher, count: int,
              surfaces: dict[str, str] | None = None) -> list[TermStat]:
    """The `count` terms in the most documents, counted exactly."""
    upper = bounds(searcher)
    candidates = heapq.nlargest(count * CANDIDATES, upper, key=upper.__getitem__)
    surfaces = surface_words() if surfaces is None else surfaces
    stats = [TermStat(term, surfaces.get(term, term), *exact(searcher, term))
             for term in candidates]
    return sorted(stats, key=lambda stat: (-stat.documents, stat.term))[:count]


def tail(upper: dict[str, int]) -> str:
    """How long the tail is: words in one document (exactly), in ten or fewer."""
    once = sum(1 for count in upper.values() if count == 1)
    few = sum(1 for count in upper.values() if count <= 10)
    return (f"{len(upper):,} indexed words: {once:,} in a single document, {few:,} in ten "
            "or fewer")


def table(stats: list[TermStat], total: Totals) -> str:
    lines = ["| rank | indexed as | word | documents | share of documents | share of threads |",
             "| ---: | --- | --- | ---: | ---: | ---: |"]
    lines += [f"| {rank} | `{stat.term}` | {stat.word} | {stat.documents:,} | "
              f"{stat.documents / total.documents:.1%} | {stat.threads / total.threads:.1%} |"
              for rank, stat in enumerate(stats, start=1)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or "sqlite:////tmp/cocreate-bench-S.db")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    args = parser.parse_args()
    with open_searcher(args.database_url) as searcher:
        total = totals(searcher)
        stats = top_terms(searcher, args.top)
        summary = tail(bounds(searcher))
    if args.json:
        print(json.dumps({"totals": asdict(total), "terms": [asdict(s) for s in stats]},
                         indent=2))
        return
    print(f"{total.documents:,} documents ({total.threads:,} threads and "
          f"{total.documents - total.threads:,} replies); {summary}\n")
    print(table(stats, total))


if __name__ == "__main__":
    main()
