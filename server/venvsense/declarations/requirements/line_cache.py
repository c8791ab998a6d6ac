"""The requirements reader's per-line cache: the declarations of the plain one-line requirements of the last
read of each file, so that re-reading a file after a one-character edit in an editor parses one line.

``Declaration`` is frozen, so handing the same object to two reads is safe (and lets the check reuse what it
concluded about an unchanged line).
"""

from __future__ import annotations

from pathlib import Path

from venvsense.caches import MemoryCache
from venvsense.declarations import Declaration

__all__ = ["LineKey", "RememberedLines", "remember_lines", "remembered_lines"]

LineKey = tuple[Path, bool, str, bool]  # file, primary, declared in, read as constraints
RememberedLines = dict[tuple[int, str], Declaration]  # (line number, line text) → what was read from it

_MAX_LINES = 20_000  # a bigger file (a lock file) is not worth keeping: it is rarely edited by hand
_LINES: MemoryCache[LineKey, RememberedLines] = MemoryCache(
    name="requirements.lines", key="(file, primary, declared in, constraint) → (line number, line text)",
    invalidation="replaced whole on every read of the file, so it never holds lines that are gone (a plain "
    "line's declaration depends on nothing but these); oldest file dropped past the limit",
    owner="the process: the language server re-reads a requirements file on every keystroke", limit=32)


def remembered_lines(key: LineKey) -> RememberedLines:
    """The plain lines of the last read of ``key``'s file (empty when there was none)."""
    return _LINES.get(key) or {}


def remember_lines(key: LineKey, lines: RememberedLines) -> None:
    """Keep ``lines`` as what the last read of ``key``'s file found, in place of what was kept before."""
    if not lines or len(lines) > _MAX_LINES:
        _LINES.pop(key)
    else:
        _LINES.put(key, lines)
