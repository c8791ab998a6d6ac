"""Text-edit fixes as minimal replacements in a manifest's text: add a requirement (VS302, VS301).

Each function takes the text as the editor has it and returns a ``Replacement`` in code-point offsets, or
``None`` when the fix does not apply; ``pyproject.toml`` is edited with tomlkit, which keeps comments and
formatting, then reduced to the one span that differs. (Changing a pin is ``venvsense.actions.edits``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError

from venvsense.text import Position, Range


@dataclass(frozen=True)
class Replacement:
    """Replace ``text[start:end]`` with ``new_text`` (offsets in code points)."""

    start: int
    end: int
    new_text: str


def position_at(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return Position(line, column)


def range_of(text: str, replacement: Replacement) -> Range:
    return Range(position_at(text, replacement.start), position_at(text, replacement.end))


def offset_of(text: str, position: Position) -> int:
    offset = 0
    for _ in range(position.line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return min(offset + position.column, len(text))


def minimal(old: str, new: str) -> Replacement | None:
    """The one span that turns ``old`` into ``new``, or ``None`` when they are equal."""
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return Replacement(prefix, len(old) - suffix, new[prefix:len(new) - suffix])


def add_to_requirements(text: str, requirement: str) -> Replacement:
    """Append ``requirement`` as a new last line of a requirements file."""
    lead = "" if not text or text.endswith("\n") else "\n"
    return Replacement(len(text), len(text), f"{lead}{requirement}\n")


def declares(text: str, name: str) -> bool:
    """Whether ``[project] dependencies`` of a pyproject text already names ``name``."""
    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        return False
    project = document.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    if not isinstance(deps, list):
        return False
    wanted = canonicalize_name(name)
    for item in deps:
        try:
            if canonicalize_name(Requirement(str(item)).name) == wanted:
                return True
        except InvalidRequirement:
            continue
    return False


def add_to_pyproject(text: str, requirement: str) -> Replacement | None:
    """Add ``requirement`` to ``[project] dependencies`` (created when absent); ``None`` when the pyproject has
    no ``[project]`` table, declares its dependencies ``dynamic``, or cannot be parsed."""
    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        return None
    project = document.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and "dependencies" in dynamic:
        return None
    deps = project.get("dependencies")
    if deps is None:
        project["dependencies"] = [requirement]
    elif isinstance(deps, list):
        deps.append(requirement)
    else:
        return None
    return minimal(text, tomlkit.dumps(document))
