"""A thread-safe LRU bounded by the total size of what it holds (kept pages, kept posts)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SizedLRU(Generic[V]):
    """Least recently used out first once the sizes of the values pass `max_size`; a value
    bigger than an eighth of that is not kept, so one cannot push out everything else."""

    def __init__(self, max_size: int, size_of: Callable[[V], int]) -> None:
        self.max_size = max_size
        self.size = 0
        self._size_of = size_of
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, key: Hashable, current: Callable[[V], bool] | None = None) -> V | None:
        """The value at `key`, now the most recently used; one that is no longer
        `current` is dropped instead."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                return None
            if current is not None and not current(value):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def peek(self, key: Hashable) -> V | None:
        """The value at `key`, leaving the order as it is."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Hashable, value: V) -> None:
        size = self._size_of(value)
        if size > self.max_size // 8:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = value
            self.size += size
            while self.size > self.max_size:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        self.size -= self._size_of(self._entries.pop(key))
