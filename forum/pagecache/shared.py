"""Kept pages shared by every worker of every node, in Redis, when PAGE_CACHE_URL names one.

Each worker keeps the pages it rendered (cache.PageCache); alone, that renders a page once
per worker, so two workers render every page twice and each node again. With a shared
store, a page rendered by any worker is written there too, and a worker that does not
hold a page looks there before rendering it. A page found there is served only under the
same rules as one kept locally: the versions it was kept under are the current ones
(read from the database, which every node shares) and it is younger than the page's
limit. Redis forgets it after that limit anyway.

The store is a cache: when Redis does not answer, pages are rendered as if it were empty,
and it is not asked again for a few seconds, so a fault costs one short timeout, not one
per request. Entries are a JSON head and the page's bytes, never pickles: whatever is in
Redis is data, not code. Keys carry a digest of the database's name, user and kind (not
its host: each node may reach it at another address), so apps on other databases (test
workers, staging) sharing one Redis never see each other's pages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time

import redis
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

_TIMEOUT = 0.25  # seconds: a page is rendered sooner than a slow cache is waited for
_RETRY_AFTER = 5.0  # seconds without asking a cache that failed


class SharedPages:
    """Pages in Redis, keyed under this database's namespace."""

    def __init__(self, url: str, database_url: str) -> None:
        self.client = redis.Redis.from_url(
            url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT)
        database = make_url(database_url)
        name = f"{database.get_backend_name()}:{database.username}@{database.database}"
        namespace = hashlib.blake2b(name.encode(), digest_size=8).hexdigest()
        self.prefix = f"cocreate:page:{namespace}:"
        self.down_until = 0.0

    def get(self, key: tuple) -> tuple[tuple[int, ...], float, bytes, str, str] | None:
        """(versions, stored at (epoch seconds), body, etag, content type), or None when
        the page is not there or the store does not answer."""
        if self._resting():
            return None
        try:
            stored = self.client.get(self._name(key))
        except redis.RedisError as error:
            self._failed(error)
            return None
        if not isinstance(stored, bytes):
            return None
        head, _, body = stored.partition(b"\n")
        try:
            versions, stored_at, etag, content_type = json.loads(head)
        except ValueError:
            return None  # not one of ours: render the page instead
        return tuple(versions), float(stored_at), body, str(etag), str(content_type)

    def put(self, key: tuple, versions: tuple[int, ...], stored_at: float, body: bytes,
            etag: str, content_type: str, seconds: float) -> None:
        """Keep a page for every worker, for `seconds` at most."""
        if self._resting():
            return
        head = json.dumps([list(versions), stored_at, etag, content_type]).encode()
        try:
            self.client.set(self._name(key), head + b"\n" + body,
                            ex=max(1, math.ceil(seconds)))
        except redis.RedisError as error:
            self._failed(error)

    def clear(self) -> int:
        """Forget every page of this database (after a restore); how many there were. A
        store that does not answer keeps them: the versions, raised by the restore, make
        them stale anyway, and Redis forgets them within their limit."""
        try:
            names = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
            if names:
                self.client.delete(*names)
        except redis.RedisError as error:
            self._failed(error)
            return 0
        return len(names)

    def _name(self, key: tuple) -> str:
        return self.prefix + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()

    def _resting(self) -> bool:
        return time.monotonic() < self.down_until

    def _failed(self, error: redis.RedisError) -> None:
        log.warning("Shared page cache unavailable (%s: %s); rendering pages for %.0f s",
                    type(error).__name__, error, _RETRY_AFTER)
        self.down_until = time.monotonic() + _RETRY_AFTER
