"""Sets of dotted module names as trees of their parts: "is this name used by one of them?" and "which is the
longest of them above this name?" answered in time linear in the name's length, built in time and memory linear
in the names' length — never every prefix of a name (an import of 50,000 parts has 50,000 prefixes of up to
100 KB each)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class DottedNames:
    """Dotted names (``google.cloud.storage``) kept as a tree of their parts."""

    __slots__ = ("_edges", "_ends")

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._edges: dict[tuple[int, str], int] = {}  # (node, part) → child node; the root is 0
        self._ends: dict[int, str] = {}  # the nodes where a name ends → the name
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        edges = self._edges
        node = 0
        for part in name.split("."):
            child = edges.get((node, part))
            if child is None:
                child = edges[(node, part)] = len(edges) + 1
            node = child
        self._ends[node] = name

    def covers(self, provided: str) -> bool:
        """Whether ``provided`` is used by one of the names (``mapping.covers``): it is one, a package above one,
        or a name ends at a package above it (a namespace an import names)."""
        edges, ends = self._edges, self._ends
        node = 0
        for part in provided.split("."):
            if node and node in ends:
                return True
            child = edges.get((node, part))
            if child is None:
                return False
            node = child
        return True

    def longest(self, parts: Sequence[str]) -> str | None:
        """The longest of the names that is ``parts`` or a package above it, ``None`` when none is."""
        edges, ends = self._edges, self._ends
        found = None
        node = 0
        for part in parts:
            child = edges.get((node, part))
            if child is None:
                break
            node = child
            found = ends.get(node, found)
        return found

    def __bool__(self) -> bool:
        return bool(self._edges)
