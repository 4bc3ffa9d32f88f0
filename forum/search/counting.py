"""How many threads match, and how many of them each company, kind and status has.

One pass over the matching documents, newest first (see bounded.py), that stops as soon as it has
counted as many threads as anyone can page through, or stepped over the scan cap's
number of documents: a common word costs the same at any size of index. Each thread
counts once, in its company, kind and status (read from the index's columns). When the
pass stopped early the counts are those of the threads it saw, and say so (`more`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.searching import Searcher

from forum.search.bounded import newest_first

FACETS = ("company", "kind", "status")


@dataclass(frozen=True)
class ThreadCount:
    """Threads counted; `more`: the count stopped early, with matches left."""

    total: int
    more: bool
    facets: dict[str, Counter[str]] = field(default_factory=dict)


def count_threads(searcher: Searcher, whole_query: wq.Query, *, up_to: int, cap: int = 0
                  ) -> ThreadCount:
    """Threads with a matching document, counting no further than `up_to` threads or
    `cap` documents (0: no cap), with their counts per company, kind and status."""
    seen: set[object] = set()
    facets: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    stepped = 0
    for leaf, _offset in newest_first(searcher):
        reader = leaf.reader()
        thread_of = reader.column_reader("thread_id")
        columns = {name: reader.column_reader(name) for name in FACETS}
        # Stepping the matcher, not `docs()`: an intersection's `docs()` first reads
        # every id of both sides into sets.
        matcher = whole_query.matcher(leaf)
        while matcher.is_active():
            if cap and stepped >= cap:
                return ThreadCount(len(seen), True, facets)
            docnum, stepped = matcher.id(), stepped + 1
            thread = thread_of[docnum]
            if thread not in seen:
                if len(seen) == up_to:
                    return ThreadCount(up_to, True, facets)
                seen.add(thread)
                for name, column in columns.items():
                    value = column[docnum]
                    if value:  # text (bytes in some column formats); "" for none
                        facets[name][_text(value)] += 1
            matcher.next()
    return ThreadCount(len(seen), False, facets)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value
