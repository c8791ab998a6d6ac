"""A PEP 723 inline script metadata block (``# /// script`` … ``# ///``) read from a module's text into
``Declaration``s with exact ranges, so the editor features (inlay hints, hovers, code lens, references) treat a
script's ``dependencies`` like any other declaration. The check reads the block for its own purpose
(``rules.trust``: whether a missing import is the script's own business); this reads where each entry is.

Total on bad input: a block that is not valid TOML, or entries that are not requirements, give no declaration.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from venvsense.declarations import Declaration, Kind
from venvsense.text import Position, Range

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SCRIPT_SET = "the script's inline metadata (PEP 723)"
# PEP 723's reference expression for a metadata block (https://peps.python.org/pep-0723/)
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_KEY = re.compile(r"""^\s*(?:dependencies|"dependencies"|'dependencies')\s*=\s*\[""")
SCRIPT_HEAD = 1 << 16  # a block lives at the top of a script; nothing past this is searched
SCRIPT_MARK = "# /// script"


def _strings(line: str, start: int) -> tuple[list[tuple[int, int]], bool]:
    """The (start, end) columns of the contents of the string literals in ``line`` from ``start``, and whether
    the array closed on this line (``]`` outside a string, or a comment ends the scan of the line)."""
    found: list[tuple[int, int]] = []
    index = start
    while index < len(line):
        char = line[index]
        if char in "\"'":
            end = index + 1
            while end < len(line) and line[end] != char:
                end += 2 if char == '"' and line[end] == "\\" else 1
            found.append((index + 1, min(end, len(line))))
            index = end + 1
        elif char == "]":
            return found, True
        elif char == "#":
            return found, False
        else:
            index += 1
    return found, False


def script_declarations(path: Path, text: str) -> list[Declaration]:
    """The ``dependencies`` of the module's ``script`` block, each at the range of its string's contents."""
    head = text[:SCRIPT_HEAD]
    if SCRIPT_MARK not in head:
        return []
    for match in _BLOCK.finditer(head):
        if match.group("type") != "script":
            continue
        first_line = head.count("\n", 0, match.start("content"))
        raw_lines = match.group("content").splitlines()
        content = "".join((line[2:] if line.startswith("# ") else line[1:]) + "\n" for line in raw_lines)
        try:
            data = tomllib.loads(content)
        except tomllib.TOMLDecodeError:
            return []
        written = data.get("dependencies")
        if not isinstance(written, list):
            return []
        places: list[tuple[int, int, int]] = []  # (line, start column, end column) in the module
        inside = False
        for offset, raw in enumerate(raw_lines):
            prefix = 2 if raw.startswith("# ") else 1
            body = raw[prefix:]
            start = 0
            if not inside:
                key = _KEY.match(body)
                if key is None:
                    continue
                inside, start = True, key.end()
            strings, closed = _strings(body, start)
            places.extend((first_line + offset, prefix + a, prefix + b) for a, b in strings)
            if closed:
                break
        entries = [item for item in written if isinstance(item, str)]
        if len(entries) != len(places):  # strings inside something else (an inline table): places unknown
            return []
        return [declaration for item, place in zip(entries, places, strict=True)
                if (declaration := _declaration(path, item, *place)) is not None]
    return []


def _declaration(path: Path, written: str, line: int, start: int, end: int) -> Declaration | None:
    try:
        requirement = Requirement(written)
    except InvalidRequirement:
        return None
    kind: Kind = "url" if requirement.url else "registry"
    return Declaration(name=requirement.name, specifier=str(requirement.specifier),
                       extras=tuple(sorted(requirement.extras)),
                       marker=str(requirement.marker) if requirement.marker else None, kind=kind,
                       url=requirement.url, file=path, range=Range(Position(line, start), Position(line, end)),
                       group="script", primary=False, declaration_set=SCRIPT_SET, requirement=written)
