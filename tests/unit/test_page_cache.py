"""The page cache's store: bounded by bytes, least recently used out first, and an entry
of another content version or past its age never served."""

from __future__ import annotations

from forum.pagecache.cache import Entry, PageCache


def entry(size: int, version: int = 1, stored_at: float = float("inf")) -> Entry:
    return Entry((version,), stored_at, b"x" * size, "tag", "text/html")


def test_the_least_recently_used_page_goes_first_when_full() -> None:
    cache = PageCache(max_bytes=800)
    names = "abcdefgh"
    for name in names:
        cache.put((name,), entry(100))
    assert cache.size == 800
    assert cache.get(("a",), (1,), 60) is not None  # a is now the most recent
    cache.put(("i",), entry(100))
    assert cache.get(("b",), (1,), 60) is None
    assert all(cache.get((name,), (1,), 60) is not None for name in "acdefghi")
    assert cache.size == 800


def test_a_page_too_big_for_an_eighth_of_the_cache_is_not_kept() -> None:
    cache = PageCache(max_bytes=800)
    cache.put(("small",), entry(100))
    cache.put(("big",), entry(101))
    assert cache.get(("big",), (1,), 60) is None
    assert cache.get(("small",), (1,), 60) is not None


def test_another_version_or_an_old_page_is_dropped_not_served() -> None:
    cache = PageCache(max_bytes=800)
    cache.put(("page",), entry(10, version=1))
    assert cache.get(("page",), (2,), 60) is None
    assert cache.size == 0
    cache.put(("old",), entry(10, stored_at=0.0))
    assert cache.get(("old",), (1,), 60) is None
    assert cache.size == 0
