"""Where a completion request stands in a manifest: which part of a requirement is being typed (a name, a version
after an operator, an extra, a marker's name or value), found from the text alone — a requirements file's line,
a string in a ``pyproject.toml`` dependency array or a Poetry dependency table, or a PEP 723 ``# /// script``
block of a Python file. Columns are code points on the request's line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["name", "version", "extra", "marker-name", "marker-value"]
Flavor = Literal["requirements", "pyproject", "poetry", "script"]

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)?")
_CLAUSE = re.compile(r"\s*(===|==|~=|>=|<=|!=|<|>)\s*([^\s,;]*)$")
_POETRY_CLAUSE = re.compile(r"\s*(\^|~=|~|==|>=|<=|!=|<|>|=)?\s*([^\s,;|]*)$")
_MARKER_VALUE = re.compile(r"([A-Za-z_.]+)\s*(?:===|==|!=|<=|>=|~=|<|>|not\s+in|in)\s*([\"'])([^\"']*)$")
_MARKER_NAME = re.compile(r"([A-Za-z_]*)$")
_HEADER = re.compile(r"\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$")
_KEY_PART = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*""")

DEPENDENCY_ARRAYS = (("project", "dependencies"), ("project", "optional-dependencies", "*"),
                     ("dependency-groups", "*"), ("build-system", "requires"), ("tool", "uv", "dev-dependencies"),
                     ("tool", "uv", "constraint-dependencies"), ("tool", "uv", "override-dependencies"))


@dataclass(frozen=True)
class Spot:
    """What is being typed: ``partial`` (the text of the item so far, from column ``start`` to the cursor),
    for ``version``/``extra`` the distribution ``name`` and the ``operator`` and other ``clauses`` typed, for
    ``marker-value`` the marker variable in ``marker``."""

    kind: Kind
    flavor: Flavor
    partial: str
    start: int
    name: str = ""
    operator: str = ""
    clauses: str = ""
    marker: str = ""
    rest: str = ""  # what follows the cursor on the line (a name completion adds a specifier only before nothing)


def requirement_spot(text: str, base: int, flavor: Flavor, rest: str = "") -> Spot | None:
    """The spot in a PEP 508 requirement typed up to the cursor (``text``), starting at column ``base``."""
    if ";" in text:
        cut = text.index(";") + 1
        return marker_spot(text[cut:], base + cut, flavor)
    if "@" in text:
        return None  # a URL requirement: nothing to complete
    name = _NAME.match(text)
    assert name is not None  # the pattern matches the empty string
    if name.end() == len(text):
        start = name.start(1) if name.group(1) else len(text)
        return Spot("name", flavor, name.group(1) or "", base + start, rest=rest)
    distribution = name.group(1) or ""
    if not distribution:
        return None
    after = text[name.end():]
    stripped = after.lstrip()
    if stripped.startswith("["):
        close = stripped.find("]")
        if close == -1:
            inside = stripped[1:]
            piece = inside.rsplit(",", 1)[-1]
            partial = piece.strip()
            return Spot("extra", flavor, partial, base + len(text) - len(partial), name=distribution)
        after = stripped[close + 1:]
    clauses = after.split(",")
    last = _CLAUSE.match(clauses[-1])
    if last is None or (last.group(2) == "" and not clauses[-1].rstrip().endswith(last.group(1))):
        return None
    partial = last.group(2)
    return Spot("version", flavor, partial, base + len(text) - len(partial), name=distribution,
                operator=last.group(1), clauses=",".join(clauses[:-1]))


def marker_spot(text: str, base: int, flavor: Flavor) -> Spot | None:
    value = _MARKER_VALUE.search(text)
    if value is not None:
        partial = value.group(3)
        return Spot("marker-value", flavor, partial, base + len(text) - len(partial), marker=value.group(1))
    name = _MARKER_NAME.search(text)
    assert name is not None
    before = text[: name.start()].rstrip()
    if before == "" or before.endswith("(") or re.search(r"(?:^|[\s)\"'])(?:and|or)$", before):
        return Spot("marker-name", flavor, name.group(1), base + name.start())
    return None


def requirements_spot(line: str, column: int) -> Spot | None:
    """A requirements file's line: its requirement, unless the line is an option or the cursor in a comment."""
    text = line[:column]
    stripped = text.lstrip()
    if stripped.startswith("-") or re.search(r"(?:^|\s)#", text):
        return None
    return requirement_spot(text, 0, "requirements", line[column:])


@dataclass
class _Toml:
    """What a scan of TOML text up to the cursor found."""

    table: tuple[str, ...] = ()
    stack: tuple[tuple[str, tuple[str, ...]], ...] = ()  # open "[" / "{" with the key each is the value of
    line_key: tuple[str, ...] = ()  # the key assigned on the cursor's line at the innermost level, if any
    string_start: int | None = None  # offset where the string under the cursor starts (after its quote)
    segment_start: int = 0


def _key(raw: str) -> tuple[str, ...]:
    parts: list[str] = []
    position = 0
    while position < len(raw):
        match = _KEY_PART.match(raw, position)
        if match is None:
            return ()
        part = match.group(1)
        parts.append(part[1:-1] if part[:1] in "\"'" else part)
        position = match.end()
        if position < len(raw):
            if raw[position] != ".":
                return ()
            position += 1
    return tuple(parts)


def scan_toml(text: str, end: int) -> _Toml:
    """Tables, open arrays/inline tables and strings of ``text[:end]`` (a small TOML scanner: enough to place a
    cursor, not a parser)."""
    state = _Toml()
    stack: list[tuple[str, tuple[str, ...]]] = []
    key: tuple[str, ...] = ()
    segment = 0
    position = 0
    while position < end:
        char = text[position]
        if char in "\"'":
            triple = text.startswith(char * 3, position)
            opened = position + (3 if triple else 1)
            close = opened
            while True:
                if triple:
                    close = text.find(char * 3, close)
                else:
                    candidates = [i for i in (text.find(char, close), text.find("\n", close)) if i != -1]
                    close = min(candidates) if candidates else -1
                if close == -1 or close >= end:
                    state.string_start = opened
                    break
                if char == '"' and _escaped(text, close, opened):
                    close += 1
                    continue
                break
            if state.string_start is not None:
                break
            position = close + (3 if triple else 0 if text[close] == "\n" else 1)
            continue
        if char == "#":
            newline = text.find("\n", position)
            position = end if newline == -1 or newline >= end else newline
            continue
        if char == "\n":
            if not stack:
                key = ()
            segment = position + 1
        elif char == "[" and not stack and not key and not text[segment:position].strip():
            line_end = text.find("\n", position)
            line_end = len(text) if line_end == -1 else line_end
            header = _HEADER.match(text[position:line_end])
            if header is not None:
                if line_end >= end:
                    break  # the cursor is on a table header
                state.table = _key(header.group(1))
                position = line_end
                continue
            stack.append((char, key))
            segment = position + 1
        elif char in "[{":
            stack.append((char, key))
            key = ()
            segment = position + 1
        elif char in "]}":
            if stack:
                key = stack.pop()[1]
        elif char == ",":
            segment = position + 1
            if stack and stack[-1][0] == "{":
                key = ()
        elif char == "=" and not (stack and stack[-1][0] == "["):
            key = _key(text[segment:position].strip())
            segment = position + 1
        position += 1
    state.stack = tuple(stack)
    state.line_key = key
    state.segment_start = segment
    return state


def _escaped(text: str, index: int, floor: int) -> bool:
    backslashes = 0
    while index - 1 - backslashes >= floor and text[index - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(path) == len(pattern) and all(p == "*" or p == q for p, q in zip(pattern, path, strict=True))


def _poetry_table(table: tuple[str, ...]) -> bool:
    return table in (("tool", "poetry", "dependencies"), ("tool", "poetry", "dev-dependencies")) or (
        len(table) == 5 and table[:3] == ("tool", "poetry", "group") and table[4] == "dependencies")


def toml_spot(lines: Sequence[str], line: int, column: int, flavor: Flavor,
              arrays: tuple[tuple[str, ...], ...] = DEPENDENCY_ARRAYS) -> Spot | None:
    """The spot in TOML text (``lines``) at ``line``/``column``: a string of a dependency array, or an entry
    of a Poetry dependency table."""
    before = "\n".join(lines[:line])
    offset = len(before) + (1 if line else 0)
    text = before + ("\n" if line else "") + (lines[line] if line < len(lines) else "")
    cursor = offset + column
    state = scan_toml(text, cursor)
    current = lines[line] if line < len(lines) else ""
    rest = current[column:]
    path = state.table + tuple(part for _, key in state.stack for part in key)
    if state.string_start is not None:
        if state.string_start < offset:
            return None  # a string begun on an earlier line (a multi-line string): not a requirement
        typed = text[state.string_start:cursor]
        base = state.string_start - offset
        if state.stack and state.stack[-1][0] == "[" and any(_matches(path, a) for a in arrays):
            return requirement_spot(typed, base, flavor, _string_rest(rest))
        if _poetry_table(state.table):
            return _poetry_value(state, typed, base)
        return None
    if _poetry_table(state.table) and not state.stack and not state.line_key:
        name = _NAME.match(text[state.segment_start:cursor])
        if name is not None and name.end() == cursor - state.segment_start:
            partial = name.group(1) or ""
            return Spot("name", "poetry", partial, column - len(partial), rest=rest)
    return None


def _string_rest(rest: str) -> str:
    for quote in ('"', "'"):
        if quote in rest:
            rest = rest[: rest.index(quote)]
    return rest


def _poetry_value(state: _Toml, typed: str, base: int) -> Spot | None:
    """A string in a Poetry dependency table: ``name = "^1.2"``, ``name = { version = "..." }`` or an extra in
    ``name = { extras = ["..."] }``."""
    stack = state.stack
    if not stack and len(state.line_key) == 1 and state.line_key[0] != "python":
        name, extras = state.line_key[0], False
    elif len(stack) == 1 and stack[0][0] == "{" and state.line_key == ("version",):
        name, extras = (stack[0][1] or ("",))[-1], False
    elif len(stack) == 2 and stack[0][0] == "{" and stack[1] == ("[", ("extras",)):
        name, extras = (stack[0][1] or ("",))[-1], True
    else:
        return None
    if not name or name == "python":
        return None
    if extras:
        return Spot("extra", "poetry", typed, base, name=name)
    clauses = re.split(r"[,|]", typed)
    last = _POETRY_CLAUSE.match(clauses[-1])
    if last is None:
        return None
    partial = last.group(2)
    return Spot("version", "poetry", partial, base + len(typed) - len(partial), name=name,
                operator=last.group(1) or "", clauses=",".join(clauses[:-1]))


SCRIPT_START = re.compile(r"^# /// script\s*$")
SCRIPT_END = re.compile(r"^# ///\s*$")


def script_spot(lines: Sequence[str], line: int, column: int) -> Spot | None:
    """The spot in a PEP 723 ``# /// script`` block's ``dependencies`` array of a Python file."""
    if line >= len(lines) or not lines[line].startswith("#"):
        return None
    start = line
    while start >= 0 and not SCRIPT_START.match(lines[start]):
        if start != line and (not lines[start].startswith("#") or SCRIPT_END.match(lines[start])):
            return None
        start -= 1
    if start < 0 or start == line:
        return None
    body = [text[2:] if text.startswith("# ") else text[1:] for text in lines[start + 1: line + 1]]
    shift = 2 if lines[line].startswith("# ") else 1
    if column < shift:
        return None
    spot = toml_spot(body, len(body) - 1, column - shift, "script", (("dependencies",),))
    if spot is None:
        return None
    return Spot(spot.kind, "script", spot.partial, spot.start + shift, spot.name, spot.operator, spot.clauses,
                spot.marker, spot.rest)
