"""Git's ignore rules: ``.gitignore`` files and ``.git/info/exclude``, each compiled once into one matcher.

The semantics are git's (``gitignore(5)``): blank lines and ``#`` comments are skipped, trailing spaces dropped
unless escaped, ``!`` re-includes, a trailing ``/`` matches folders only, a pattern with a ``/`` before its end is
anchored to the folder of its file (otherwise it matches a name at any depth), ``*``/``?``/``[…]`` never match
``/``, ``**`` spans folders (``**/x``, ``x/**``, ``a/**/b``), ``\\`` escapes. Within one file the last matching
pattern decides; a deeper ``.gitignore`` decides before the ones above it, and those before ``info/exclude``.
A file under an ignored folder cannot be re-included (the walk never enters an ignored folder).

One ``IgnoreFile`` holds two combined regular expressions (one for folders, one for files), every pattern an
alternative in reverse order: the first alternative that matches is the file's last matching pattern, so one
``re.match`` call answers for a path, whatever the number of patterns.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from functools import lru_cache

# bounds: an ignore file is read up to this size, and only this many of its patterns are used
MAX_IGNORE_BYTES = 1_000_000
MAX_PATTERNS = 10_000

_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "digit": "0-9", "lower": "a-z", "upper": "A-Z",
    "space": " \\t\\n\\r\\f\\v", "xdigit": "0-9a-fA-F", "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
}


class IgnoreFile:
    """The compiled patterns of one ignore file; paths are relative to its folder, POSIX, without a trailing
    ``/``.

    A pattern without a ``/`` (but a trailing one) matches an entry's name, whatever its folder: those are
    matched against the name alone, the others against the relative path — four combined expressions in all
    (names or paths, folders or files)."""

    __slots__ = ("_count", "_file_names", "_file_paths", "_folder_names", "_folder_paths", "_negated")

    def __init__(self, lines: Iterable[str]) -> None:
        patterns: list[tuple[str, bool, bool, bool]] = []  # (regex, negated, folders only, anchored)
        for line in lines:
            rule = _rule(line)
            if rule is not None:
                patterns.append(rule)
                if len(patterns) >= MAX_PATTERNS:
                    break
        self._count = len(patterns)
        self._negated = [negated for _, negated, _, _ in patterns]

        def combined(anchored: bool, folders: bool) -> re.Pattern[str] | None:
            return _combine((index, regex) for index, (regex, _, only_folders, is_anchored) in enumerate(patterns)
                            if is_anchored is anchored and (folders or not only_folders))

        self._folder_names = combined(False, True)
        self._folder_paths = combined(True, True)
        self._file_names = combined(False, False)
        self._file_paths = combined(True, False)

    def verdict(self, relative: str, name: str, is_folder: bool) -> bool | None:
        """``True`` when the last pattern matching ``relative`` (whose last segment is ``name``) ignores it,
        ``False`` when it re-includes it (``!``), ``None`` when no pattern matches."""
        names, paths = (self._folder_names, self._folder_paths) if is_folder else (self._file_names, self._file_paths)
        index = -1
        if names is not None:
            found = names.match(name)
            if found is not None:
                index = int(found.lastgroup[1:])  # type: ignore[index]
        if paths is not None:
            found = paths.match(relative)
            if found is not None:
                index = max(index, int(found.lastgroup[1:]))  # type: ignore[index]
        return None if index < 0 else not self._negated[index]

    def __bool__(self) -> bool:
        return self._count > 0


def read_ignore_file(path: str) -> IgnoreFile | None:
    """The compiled patterns of the ignore file at ``path``; ``None`` when it cannot be read, is not a regular
    file, or holds no pattern."""
    try:
        # never blocks on a FIFO, never reads a device: only a regular file, and only so much of it
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        data = os.read(descriptor, MAX_IGNORE_BYTES)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return _compiled(data)


@lru_cache(maxsize=64)
def _compiled(data: bytes) -> IgnoreFile | None:
    # the language server checks the same tree again and again: an unchanged file is compiled once
    rules = IgnoreFile(data.decode("utf-8", "replace").splitlines())
    return rules if rules else None


def _combine(patterns: Iterable[tuple[int, str]]) -> re.Pattern[str] | None:
    alternatives = [f"(?P<p{index}>{regex})" for index, regex in patterns]
    if not alternatives:
        return None
    alternatives.reverse()
    return re.compile(r"(?s:" + "|".join(alternatives) + r")\Z")


def _rule(line: str) -> tuple[str, bool, bool, bool] | None:
    """One line of an ignore file as (regex, negated, folders only, anchored); ``None`` for blank lines,
    comments and patterns that can never match. A pattern that is not anchored is matched against names."""
    line = line.rstrip("\r")
    if not line or line.startswith("#"):
        return None
    # trailing spaces are dropped unless escaped with a backslash
    end = len(line)
    while end > 0 and line[end - 1] == " " and (end < 2 or line[end - 2] != "\\"):
        end -= 1
    line = line[:end]
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    only_folders = line.endswith("/") and not line.endswith("\\/")
    if only_folders:
        line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    if not line:
        return None
    regex = _translate(line)
    if regex is None:
        return None
    return regex, negated, only_folders, anchored


def _translate(pattern: str) -> str | None:
    """A pattern (no leading ``/``, no trailing ``/``) as a regex over the whole relative path."""
    segments = pattern.split("/")
    out: list[str] = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            if index == last:
                out.append(".+" if index == 0 else "/.+")
            elif index == 0:
                out.append("(?:.*/)?")
            else:
                out.append("/(?:.*/)?")
            continue
        if index and not (segments[index - 1] == "**" and index - 1 != last):
            out.append("/")
        part = _segment(segment)
        if part is None:
            return None
        out.append(part)
    return "".join(out)


def _segment(segment: str) -> str | None:
    """One path segment's glob as a regex (``*``, ``?`` and classes never cross ``/``)."""
    out: list[str] = []
    i = 0
    size = len(segment)
    while i < size:
        char = segment[i]
        if char == "\\":
            if i + 1 < size:
                out.append(re.escape(segment[i + 1]))
                i += 2
            else:
                return None  # a trailing backslash: git matches nothing
            continue
        if char == "*":
            while i < size and segment[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            found = _bracket(segment, i)
            if found is None:
                return None  # an unterminated class: git matches nothing
            body, i = found
            out.append(body)
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _bracket(segment: str, start: int) -> tuple[str, int] | None:
    """The class starting at ``segment[start] == "["`` as a regex, and the index after it."""
    i = start + 1
    size = len(segment)
    negate = i < size and segment[i] in "!^"
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while i < size:
        char = segment[i]
        if char == "]" and not first:
            body = "".join(items)
            if not body:
                return ("[^/]" if negate else "(?!)"), i + 1
            return ("[^/" + body + "]" if negate else "(?!/)[" + body + "]"), i + 1
        first = False
        if char == "[" and segment.startswith("[:", i):
            close = segment.find(":]", i + 2)
            if close != -1 and segment[i + 2:close] in _CLASSES:
                items.append(_CLASSES[segment[i + 2:close]])
                i = close + 2
                continue
        if char == "\\" and i + 1 < size:
            i += 1
            char = segment[i]
        if i + 2 < size and segment[i + 1] == "-" and segment[i + 2] != "]":
            high = segment[i + 2]
            end = i + 3
            if high == "\\" and i + 3 < size:
                high = segment[i + 3]
                end = i + 4
            if high >= char:
                items.append(re.escape(char) + "-" + re.escape(high))
            i = end
            continue
        items.append(re.escape(char))
        i += 1
    return None
