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
from venvsense.text import UnreadableFile, read_text

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
