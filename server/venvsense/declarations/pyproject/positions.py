"""Where each value of a TOML document is: a small scanner that records, for every key path of the parsed data,
the range of its value and of its ``key = value`` entry.

``tomllib`` gives values without positions, so the scanner walks the same text once. It only runs on text
``tomllib`` accepted, and it is total: whatever it cannot follow it skips, and a path it did not record falls
back to the nearest enclosing one (``PositionMap``). (``tomlkit``, which we depend on for editing, keeps the
formatting but exposes no offsets; recovering them from its tree means re-rendering every item, which is
slower and no simpler than scanning.)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import NamedTuple

from venvsense.caches import MemoryCache
from venvsense.text import START, Position, Range, lazy_pattern

__all__ = ["Key", "PositionMap", "Spot"]

# A path into the parsed data: table keys, and array indexes for array items and ``[[array.tables]]``.
Key = tuple[str | int, ...]


class Spot(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """Where one value is."""

    value: Range  # a string's content without its quotes; any other value whole; a table's header
    entry: Range  # ``key = value``; a table's header; an array item's value


# One check scans a project's pyproject.toml for positions twice (its document, and the lock's staleness check of
# each workspace member): each text is scanned once per process. The map is never changed once scanned (shared).
SCANNED: MemoryCache[str, dict[Key, Spot]] = MemoryCache(
    name="pyproject.positions",
    key="a TOML text of at most 64 KiB (its positions, shared: read only)",
    invalidation="a changed text is another key",
    owner="the process",
    limit=128,
)
_SCANNED_MAX = 64 * 1024


class PositionMap:
    """The ranges of the values of one TOML text, looked up by key path."""

    def __init__(self, text: str) -> None:
        if len(text) > _SCANNED_MAX:  # (a lock: scanned only for an error's place)
            self.spots = _TomlScanner(text).scan()
            return
        spots = SCANNED.get(text)
        if spots is None:
            spots = SCANNED.put(text, _TomlScanner(text).scan())
        self.spots = spots

    def _nearest(self, key: Key) -> Spot:
        for end in range(len(key), 0, -1):
            spot = self.spots.get(key[:end])
            if spot is not None:
                return spot
        return Spot(START, START)

    def value_range(self, key: Key) -> Range:
        """The value at ``key`` (a string without its quotes), else the entry of the nearest enclosing path."""
        spot = self.spots.get(key)
        return spot.value if spot is not None else self._nearest(key).entry

    def entry_range(self, key: Key) -> Range:
        """The ``key = value`` entry (or table header) at ``key`` or at the nearest enclosing path."""
        return self._nearest(key).entry


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DATE = lazy_pattern(r"\d{4}-\d{2}-\d{2}")
_ESCAPE = lazy_pattern(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}
_MAX_DEPTH = 64


def _unescape(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uUx" and len(code) > 1:
            point = int(code[1:], 16)
            return chr(point) if point <= 0x10FFFF else match.group(0)
        return _SIMPLE_ESCAPES.get(code, match.group(0))

    return _ESCAPE().sub(one, raw)


class _TomlScanner:
    """Records where every value of a TOML document is, keyed like the parsed data (array items by index).

    Meant for text ``tomllib`` accepted; on anything else it still ends, recording what it could.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.spots: dict[Key, Spot] = {}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.array_tables: dict[Key, int] = {}  # [[x]] → index of its latest element

    def scan(self) -> dict[Key, Spot]:
        table: Key = ()
        while self.i < self.n:
            self.skip_blank(newlines=True)
            if self.i >= self.n:
                break
            if self.text[self.i] == "[":
                table = self.header()
            else:
                self.key_value(table, 0)
            self.skip_line()
        return self.spots

    # -- positions and skipping ----------------------------------------------------------------------

    def position(self, offset: int) -> Position:
        line = bisect_right(self.line_starts, offset) - 1
        return Position(line, offset - self.line_starts[line])

    def range(self, start: int, end: int) -> Range:
        return Range(self.position(start), self.position(max(start, end)))

    def skip_ws(self) -> None:
        while self.i < self.n and self.text[self.i] in " \t":
            self.i += 1

    def skip_blank(self, *, newlines: bool) -> None:
        while self.i < self.n:
            char = self.text[self.i]
            if char in " \t" or (newlines and char in "\r\n"):
                self.i += 1
            elif char == "#":
                end = self.text.find("\n", self.i)
                self.i = self.n if end < 0 else end
                if not newlines:
                    return
            else:
                return

    def skip_line(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = self.n if end < 0 else end + 1

    # -- structure ------------------------------------------------------------------------------------

    def header(self) -> Key:
        start = self.i
        array = self.text.startswith("[[", self.i)
        self.i += 2 if array else 1
        keys = self.key()
        self.skip_ws()
        closing = "]]" if array else "]"
        if self.text.startswith(closing, self.i):
            self.i += len(closing)
        where = self.range(start, self.i)
        path: Key = ()
        for part in keys[:-1]:
            path = (*path, part)
            if path in self.array_tables:
                path = (*path, self.array_tables[path])
        path = (*path, *keys[-1:])
        if array:
            index = self.array_tables.get(path, -1) + 1
            self.array_tables[path] = index
            path = (*path, index)
        self.spots.setdefault(path, Spot(where, where))
        return path

    def key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self.skip_ws()
            if self.i >= self.n:
                return keys
            char = self.text[self.i]
            if char in "\"'":
                start, end = self.single_line_string(char)
                raw = self.text[start:end]
                keys.append(_unescape(raw) if char == '"' else raw)
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if match is None:
                    return keys
                keys.append(match.group())
                self.i = match.end()
            self.skip_ws()
            if self.i < self.n and self.text[self.i] == ".":
                self.i += 1
                continue
            return keys

    def key_value(self, table: Key, depth: int) -> None:
        start = self.i
        keys = self.key()
        self.skip_ws()
        if not keys or self.i >= self.n or self.text[self.i] != "=":
            return
        self.i += 1
        self.skip_ws()
        path: Key = (*table, *keys)
        self.value(path, depth)
        entry = self.range(start, self.i)
        spot = self.spots.get(path)
        self.spots[path] = Spot(spot.value if spot else entry, entry)
        for end in range(len(table) + 1, len(path)):  # tables a dotted key creates
            self.spots.setdefault(path[:end], Spot(entry, entry))

    def value(self, path: Key, depth: int) -> None:
        if self.i >= self.n:
            return
        start = self.i
        char = self.text[self.i]
        if char in "\"'":
            content_start, content_end = self.string()
            where = self.range(content_start, content_end)
            self.spots[path] = Spot(where, where)
            return
        if char in "[{" and depth >= _MAX_DEPTH:
            self.skip_nested()
        elif char == "[":
            self.array(path, depth)
        elif char == "{":
            self.inline_table(path, depth)
        else:
            self.scalar()
        where = self.range(start, self.i)
        self.spots[path] = Spot(where, where)

    def array(self, path: Key, depth: int) -> None:
        index = 0

        def item() -> None:
            nonlocal index
            self.value((*path, index), depth + 1)
            index += 1

        self.items("]", item)

    def inline_table(self, path: Key, depth: int) -> None:
        self.items("}", lambda: self.key_value(path, depth + 1))  # TOML 1.1 lets inline tables span lines

    def items(self, close: str, item: Callable[[], None]) -> None:
        """The comma-separated items of an array or inline table, from its opening bracket to ``close``: each read
        by ``item``, which must move past something (one character is skipped when it does not)."""
        self.i += 1
        while True:
            self.skip_blank(newlines=True)
            if self.i >= self.n:
                return
            char = self.text[self.i]
            if char == close:
                self.i += 1
                return
            if char == ",":
                self.i += 1
                continue
            before = self.i
            item()
            if self.i == before:
                self.i += 1

    def scalar(self) -> None:
        start = self.i
        while self.i < self.n:
            char = self.text[self.i]
            if char == " " and _DATE().fullmatch(self.text, start, self.i) and (
                    self.i + 1 < self.n and self.text[self.i + 1].isdigit()):
                self.i += 1  # the space between a date and its time
                continue
            if char in ",]}# \t\r\n":
                return
            self.i += 1

    def skip_nested(self) -> None:
        """Skip a too deeply nested array or table without recursing (nothing we read lives there)."""
        level = 0
        while self.i < self.n:
            char = self.text[self.i]
            if char in "\"'":
                self.string()
                continue
            if char == "#":
                self.skip_blank(newlines=False)
                continue
            self.i += 1
            if char in "[{":
                level += 1
            elif char in "]}":
                level -= 1
                if level <= 0:
                    return

    # -- strings --------------------------------------------------------------------------------------

    def string(self) -> tuple[int, int]:
        """Consume a string of any of the four kinds; the offsets of its content."""
        quote = self.text[self.i]
        if self.text.startswith(quote * 3, self.i):
            return self.multi_line_string(quote)
        return self.single_line_string(quote)

    def single_line_string(self, quote: str) -> tuple[int, int]:
        start = j = self.i + 1
        while j < self.n and self.text[j] not in (quote, "\n"):
            j += 2 if quote == '"' and self.text[j] == "\\" else 1
        end = min(j, self.n)
        self.i = end + 1 if end < self.n and self.text[end] == quote else end
        return start, end

    def multi_line_string(self, quote: str) -> tuple[int, int]:
        start = j = self.i + 3
        if self.text.startswith("\r\n", j):  # a newline right after the delimiter is not content
            start = j = j + 2
        elif self.text.startswith("\n", j):
            start = j = j + 1
        while j < self.n:
            if quote == '"' and self.text[j] == "\\":
                j += 2
                continue
            if self.text.startswith(quote * 3, j):
                run = 3
                while run < 5 and j + run < self.n and self.text[j + run] == quote:
                    run += 1  # up to two quotes right before the delimiter belong to the content
                self.i = j + run
                return start, j + run - 3
            j += 1
        self.i = self.n
        return min(start, self.n), self.n
