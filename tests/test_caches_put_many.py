"""``MemoryCache.put_many`` (what the CLI's disk cache uses to fill the scan cache) keeps the cache's order and
bound as one ``put`` after another would."""

from __future__ import annotations

from venvsense import caches
from venvsense.caches import MemoryCache


def test_put_many_is_put_after_put() -> None:
    one: MemoryCache[str, int] = MemoryCache(name="test.put_many.one", key="k", invalidation="i", owner="o", limit=4)
    many: MemoryCache[str, int] = MemoryCache(name="test.put_many.many", key="k", invalidation="i", owner="o",
                                              limit=4)
    try:
        items = [("a", 1), ("b", 2), ("c", 3), ("a", 4), ("d", 5), ("e", 6)]
        for key, value in items:
            one.put(key, value)
        many.put("z", 0)
        many.put_many(iter(items))
        assert many.items() == one.items() == [("c", 3), ("a", 4), ("d", 5), ("e", 6)]
        many.put_many(())
        assert len(many) == 4
    finally:
        caches._REGISTRY.pop("test.put_many.one", None)
        caches._REGISTRY.pop("test.put_many.many", None)
