"""What searches cost in each process, where an operator can read it.

Every process that searches (each gunicorn worker) counts its searches, those that hit a
cap, and its result cache's hits and misses, and writes them now and then to a small file
beside the index (`stats/<host>-<pid>.json`). `flask search status` adds up the files
written lately: the cache's hit rate and the capped searches of the whole site, not of
the command's own process, which has searched nothing.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRITE_EVERY = 10.0  # seconds between two writes of a process's counts, at most
RECENT = 600.0  # seconds: older files are of processes gone (and are removed)


@dataclass(frozen=True)
class Totals:
    processes: int = 0
    searches: int = 0
    capped: int = 0
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def hit_rate(self) -> float | None:
        lookups = self.cache_hits + self.cache_misses
        return self.cache_hits / lookups if lookups else None


class SearchStats:
    """This process's counts, written to `directory` at most every WRITE_EVERY seconds."""

    def __init__(self, directory: Path, cache: Any) -> None:
        self.directory = directory
        self.cache = cache  # a ResultCache: its `hits` and `misses`
        self.searches = 0
        self.capped = 0
        self._written = 0.0
        self._lock = threading.Lock()

    def record(self, capped: bool) -> None:
        with self._lock:
            self.searches += 1
            self.capped += capped
            due = time.monotonic() - self._written >= WRITE_EVERY
            if due:
                self._written = time.monotonic()
        if due:
            self.write()

    def write(self) -> None:
        """Write the counts now; a directory that cannot be written costs nothing more
        than the counts (search goes on)."""
        counts = {"searches": self.searches, "capped": self.capped,
                  "cache_hits": self.cache.hits, "cache_misses": self.cache.misses}
        path = self.directory / f"{socket.gethostname()}-{os.getpid()}.json"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".tmp")
            partial.write_text(json.dumps(counts))
            partial.replace(path)
        except OSError:
            pass


def gather(directory: Path, now: float | None = None) -> Totals:
    """The counts of every process that wrote in the last RECENT seconds, added up."""
    now = time.time() if now is None else now
    totals = [0, 0, 0, 0, 0]
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            if now - path.stat().st_mtime > RECENT:
                path.unlink()
                continue
            counts = json.loads(path.read_text())
            values = [int(counts[name]) for name in
                      ("searches", "capped", "cache_hits", "cache_misses")]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # gone meanwhile, or half written by an older version
        totals[0] += 1
        for position, value in enumerate(values, start=1):
            totals[position] += value
    return Totals(*totals)
