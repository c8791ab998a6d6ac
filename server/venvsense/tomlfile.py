"""A TOML file read and parsed once: the text (an editor buffer or the file's), the parsed tables, or why not.

The project model parses a project's ``pyproject.toml`` once per check and hands this object to everyone who
needs it (settings, the declarations reader, first-party detection, planning). Never raises.
"""

from __future__ import annotations

import contextlib
import marshal
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvsense.caches import MemoryCache
from venvsense.text import UnreadableFile, lazy_pattern, read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


# One check reads a project's pyproject.toml in several places (the model, first-party layout, workspace members,
# names by configuration, the lock's staleness), and a tree's projects read each other's: each text is parsed once
# per process. What is kept is the parsed document ``marshal``-ed, and every read gets its own copy (``marshal``
# copies a document of plain values far faster than ``tomllib`` parses it), so no caller can change another's.
PARSED: MemoryCache[str, bytes] = MemoryCache(
    name="tomlfile.parsed",
    key="a TOML text of at most 64 KiB (the parsed document, marshal-ed: each read gets a copy)",
    invalidation="a changed text is another key",
    owner="the process",
    limit=128,  # at most ~8 MB however large the files; a few hundred KB for a tree's pyproject.toml files
)
_MEMO_MAX = 64 * 1024


@dataclass(frozen=True)
class TomlFile:
    """``text`` is ``None`` when the file could not be read (``unreadable`` says why); ``data`` is ``None``
    when it could not be read or parsed (``error`` is the parser's exception)."""

    path: Path
    text: str | None
    data: Mapping[str, Any] | None
    error: Exception | None = None
    unreadable: str | None = None

    def table(self, *keys: str) -> Mapping[str, Any]:
        """The table at ``keys`` (``table("tool", "venvsense")``), empty when absent or not a table."""
        value: Any = self.data or {}
        for key in keys:
            if not isinstance(value, Mapping):
                return {}
            value = value.get(key, {})
        return value if isinstance(value, Mapping) else {}


def read_toml(path: Path, text: str | None = None, skip: Collection[str] = ()) -> TomlFile:
    """Parse ``text`` (an unsaved buffer) or the file at ``path``. ``skip``: keys whose values the caller never
    reads, which may be read as ``0`` instead (see ``lean_text``): a lock's hashes and URLs, most of its bytes."""
    if text is None:
        try:
            text = read_text(path)
        except UnreadableFile as error:
            return TomlFile(path, None, None, unreadable=error.reason)
    lean = lean_text(text, skip) if skip else None
    if lean is not None:
        data = loads_cut(lean) if len(lean) >= _CUT_MIN else None
        if data is not None:
            return TomlFile(path, text, data)
        try:
            return TomlFile(path, text, tomllib.loads(lean))
        except (RecursionError, ValueError):
            pass  # the whole text says what is wrong, and where
    memo = not skip and len(text) <= _MEMO_MAX  # (a lock's reader keeps its model, not the document: no memo)
    stored = PARSED.get(text) if memo else None
    if stored is not None:
        return TomlFile(path, text, marshal.loads(stored))
    try:
        data = tomllib.loads(text)
    except RecursionError as error:  # arrays or tables nested thousands deep
        return TomlFile(path, text, None, error)
    except ValueError as error:  # TOMLDecodeError, and int() refusing a number with thousands of digits
        return TomlFile(path, text, None, error)
    if memo:
        with contextlib.suppress(ValueError):  # a date or time: not a plain value marshal writes (parsed each time)
            PARSED.put(text, marshal.dumps(data))
    return TomlFile(path, text, data)


# ``lean_text``: a value that is certainly one whole value, written the regular way lock tools write it: an inline
# table on one line of the keys lock tools write for an archive (each at most once, in this order) with plain
# values (strings without escapes or control characters, integers of at most 18 digits — ``int()`` refuses
# thousands —, booleans), or an array of such tables, one
# per line, commas between them (``sdist = { url = "…", hash = "…" }``, ``wheels = [`` … ``]``, ``files = [`` … ``]``).
_ARCHIVE_KEYS = ("url", "path", "filename", "file", "hash", "size", "upload-time")
_PLAIN = r"""(?:"[^"\\\x00-\x08\x0a-\x1f\x7f]*"|'[^'\x00-\x08\x0a-\x1f\x7f]*'|[+-]?(?:0|[1-9][0-9]{0,17})|true|false)"""
_PAIRS = "".join(rf"(?:{re.escape(key)}[ \t]*=[ \t]*{_PLAIN}(?:[ \t]*,[ \t]*(?=[a-z])|(?=[ \t]*\}})))?"
                 for key in _ARCHIVE_KEYS)
_INLINE = rf"\{{[ \t]*{_PAIRS}[ \t]*\}}"
_ARRAY = rf"\[[ \t]*\r?\n(?:[ \t]*{_INLINE}[ \t]*,[ \t]*\r?\n)*(?:[ \t]*{_INLINE}[ \t]*\r?\n)?[ \t]*\]"
_BLOCKS: dict[frozenset[str], re.Pattern[str]] = {}


def lean_text(text: str, keys: Collection[str]) -> str | None:
    """``text`` with the value of each ``key = value`` line (``key`` one of ``keys``) that is certainly a whole
    value (see above) replaced by ``0``; ``None`` when nothing was replaced or a replacement could be wrong.

    Why this reads the same as the whole text, but for those values: without a multi-line string in the text
    (else ``None``), a line starts outside any string, so a line ``key = <value>`` holds the tokens ``key``,
    ``=``, the value; the pattern only matches a value TOML reads as one inline table or one array of them (no
    key twice in a table, commas where TOML wants them), and ``0`` is valid exactly where such a value is (a
    value position; neither can be extended by a later table header or dotted key). So the lean text parses if
    and only if the text does, to the same document but for those values; a caller parses the whole text again
    when the lean one fails, for the error's message and place."""
    if '"""' in text or "\'\'\'" in text:
        return None
    pattern = _BLOCKS.get(frozenset(keys))
    if pattern is None:
        names = "|".join(re.escape(key) for key in sorted(keys))
        pattern = re.compile(rf"^([ \t]*(?:{names})[ \t]*=[ \t]*)(?:{_INLINE}|{_ARRAY})(?=[ \t]*(?:#[^\n]*)?\r?$)",
                             re.MULTILINE)
        _BLOCKS[frozenset(keys)] = pattern
    lean, count = pattern.subn(r"\g<1>0", text)
    return lean if count else None


# ``loads_cut``: a lock's arrays of dependencies (uv's ``dependencies``, ``requires-dist``, ``optional-dependencies``…)
# are most of what is left of it once lean: an array written one item per line, each item a plain string or an
# inline table on one line whose values are plain strings, arrays of them on one line, or inline tables of plain
# strings (``{ name = "x", extra = ["a"], source = { registry = "…" } }``). Such an array is read here with a few
# regular expressions, and ``tomllib`` parses the rest, where each of them stands as a placeholder string.
_STRING = r'"[^"\\\x00-\x08\x0a-\x1f\x7f]*"'  # a basic string without escapes: its text is what is between the quotes
_KEY = r"[A-Za-z0-9_-]+"  # a bare key: itself
_STRINGS = rf"\[[ \t]*(?:{_STRING}[ \t]*(?:,[ \t]*{_STRING}[ \t]*)*(?:,[ \t]*)?)?\]"  # on one line
_SMALL_TABLE = rf"\{{[ \t]*{_KEY}[ \t]*=[ \t]*{_STRING}(?:[ \t]*,[ \t]*{_KEY}[ \t]*=[ \t]*{_STRING})*[ \t]*\}}"
_ITEM_TABLE = (rf"\{{[ \t]*{_KEY}[ \t]*=[ \t]*(?:{_STRING}|{_STRINGS}|{_SMALL_TABLE})"
               rf"(?:[ \t]*,[ \t]*{_KEY}[ \t]*=[ \t]*(?:{_STRING}|{_STRINGS}|{_SMALL_TABLE}))*[ \t]*\}}")
_ITEM = rf"(?:{_STRING}|{_ITEM_TABLE})"
_LIST = rf"\[[ \t]*\r?\n(?:[ \t]*{_ITEM}[ \t]*,[ \t]*\r?\n)*(?:[ \t]*{_ITEM}[ \t]*\r?\n)?[ \t]*\]"
_LISTS = lazy_pattern(rf"^([ \t]*{_KEY}[ \t]*=[ \t]*)({_LIST})(?=[ \t]*(?:#[^\n]*)?\r?$)", re.MULTILINE)
_ITEMS = lazy_pattern(rf"({_STRING})|({_ITEM_TABLE})")
_ITEM_PAIRS = lazy_pattern(rf'({_KEY})[ \t]*=[ \t]*(?:"([^"]*)"|({_STRINGS})|({_SMALL_TABLE}))')
_SMALL_PAIRS = lazy_pattern(rf'({_KEY})[ \t]*=[ \t]*"([^"]*)"')
_QUOTED = lazy_pattern(r'"([^"]*)"')
_CUT_MIN = 64 * 1024  # a smaller lean text is parsed whole: compiling the expressions would cost more than they save
_PLACEHOLDER = "\x00"  # (a placeholder's text: this, then the array's number; no other string of the text has it)


def _items(array: str) -> list[Any] | None:
    """The items of an array ``_LIST`` matched; ``None`` when an inline table has a key twice (TOML's error)."""
    items: list[Any] = []
    quoted = _QUOTED()
    for string, table in _ITEMS().findall(array):
        if string:
            items.append(string[1:-1])
            continue
        pairs = _ITEM_PAIRS().findall(table)
        entry: dict[str, Any] = {}
        for key, value, strings, small in pairs:
            if strings:
                entry[key] = quoted.findall(strings)
            elif small:
                inner = _SMALL_PAIRS().findall(small)
                entry[key] = dict(inner)
                if len(entry[key]) != len(inner):
                    return None
            else:
                entry[key] = value
        if len(entry) != len(pairs):
            return None
        items.append(entry)
    return items


def loads_cut(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)`` for a text without multi-line strings (a lean text, ``lean_text``), its arrays of
    plain items (above) read here; ``None`` when there are none, when the text cannot be parsed, or when the
    placeholders could be taken for a value (a ``\\u0000`` escape in the text): the caller parses it all.

    Why this is the same document: the placeholder ``"\\u0000N"`` is a valid value exactly where the array is (a
    value position at a line's start: no multi-line string, so a line starts outside any string), so the cut text
    parses if and only if the text does; a string of the parsed document starting with NUL is a placeholder (only
    a ``\\u0000`` or ``\\U00000000`` escape writes a NUL in a TOML text); and an array ``_LIST`` matches is read as
    ``tomllib`` reads it: strings without escapes are their text, bare keys themselves, items and keys in order;
    an inline table with a key twice, which ``tomllib`` refuses, is not cut."""
    if "\\u0000" in text or "\\U00000000" in text:
        return None
    arrays: list[list[Any]] = []
    failed = False

    def cut(match: re.Match[str]) -> str:
        nonlocal failed
        items = _items(match.group(2))
        if items is None:
            failed = True
            return match.group(0)
        arrays.append(items)
        return f'{match.group(1)}"\\u0000{len(arrays) - 1}"'

    placeholders = _LISTS().sub(cut, text)
    if failed or not arrays:
        return None
    try:
        data = tomllib.loads(placeholders)
    except (RecursionError, ValueError):
        return None
    placed = _restore(data, arrays)
    return data if placed == len(arrays) else None


def _restore(table: dict[str, Any], arrays: list[list[Any]]) -> int:
    """Put each array in place of its placeholder, a value of a table (under tables and arrays of tables); how
    many were put (each once: a placeholder anywhere else, or twice, leaves a count that differs)."""
    placed = 0
    seen: set[int] = set()
    pending: list[Any] = [table]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(item for item in node if isinstance(item, (dict, list)))
            continue
        for key, value in node.items():
            if isinstance(value, str):
                if value[:1] == _PLACEHOLDER and value[1:].isdigit():
                    number = int(value[1:])
                    if number >= len(arrays) or number in seen:
                        return -1
                    seen.add(number)
                    node[key] = arrays[number]
                    placed += 1
            elif isinstance(value, (dict, list)):
                pending.append(value)
    return placed
