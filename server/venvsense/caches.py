"""Every in-memory cache of the engine, in one place: what it holds, keyed by what, invalidated how, owned by whom.

A cache is a ``MemoryCache`` registered here by name when its module is imported; ``describe()`` lists them
(``docs/architecture.md`` shows the list) and ``clear_all()`` empties them (tests, and the language server when
it is asked to forget everything). Keys hold everything the value depends on: no cache relies on being handed
"the very same object" by another module. The CLI's on-disk cache of import scans is not here: it is a
``DiskScanCache`` that the CLI creates and passes down explicitly (``imports.diskcache``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(eq=False)
class MemoryCache(Generic[K, V]):
    """A bounded mapping (oldest entries dropped first) safe to use from the server's worker threads."""

    name: str
    key: str          # what the key is made of, in words
    invalidation: str  # how a stale entry stops being used
    owner: str        # whose lifetime it follows
    limit: int = 4096
    # an OrderedDict: dropping the oldest entry is O(1) (``next(iter(dict))`` slows down after many deletions
    # from the front of a plain dict)
    _data: OrderedDict[K, V] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        _REGISTRY[self.name] = self

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> V:
        with self._lock:
            data = self._data
            data[key] = value
            data.move_to_end(key)
            while len(data) > self.limit:
                data.popitem(last=False)
        return value

    def put_many(self, items: Iterable[tuple[K, V]]) -> None:
        """``put`` for many entries, under one lock (a warm CLI run fills a cache with a project's files)."""
        with self._lock:
            data = self._data
            for key, value in items:
                data[key] = value
                data.move_to_end(key)
            while len(data) > self.limit:
                data.popitem(last=False)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        found = self._data.get(key)
        if found is None:
            found = self.put(key, make())
        return found

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def items(self) -> list[tuple[K, V]]:
        """A copy of the entries, oldest first."""
        with self._lock:
            return list(self._data.items())

    def __len__(self) -> int:
        return len(self._data)


_REGISTRY: dict[str, MemoryCache[Any, Any]] = {}


def clear_all() -> None:
    """Empty every registered cache."""
    for cache in list(_REGISTRY.values()):
        cache.clear()


def describe() -> list[tuple[str, str, str, str]]:
    """(name, key, invalidation, owner) of every registered cache, by name."""
    return sorted((c.name, c.key, c.invalidation, c.owner) for c in _REGISTRY.values())
