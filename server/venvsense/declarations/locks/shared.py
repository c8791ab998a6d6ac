"""What the Poetry, Pipfile, pylock and pdm lock readers share: parsing a lock's TOML into a ``LockError`` with a
place, finding the line of each ``[[package]]`` entry, reading markers and requirement strings of a lock,
evaluating them for a venv, and the selection walk of formats whose entries carry no condition of their own.

Everything here is total: bad input gives ``None`` or an error value, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Set
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvsense.declarations import Declaration
from venvsense.declarations.locks.model import Lock, LockedDependency, LockedPackage, LockError, ManifestText, Target
from venvsense.text import START, Position, Range
from venvsense.tomlfile import read_toml

__all__ = [
    "ALL", "asked", "changed_declaration", "dependency_of_requirement", "entry_lines", "evaluate", "lock_toml",
    "marker_of", "pyproject_data", "range_of_line", "reachable",
]

# ``Target.extras`` / ``Target.groups`` holding this ask for every extra / group (the settings' ``"*"``).
ALL = "*"


def asked(names: Iterable[str], every: Iterable[str]) -> frozenset[str]:
    """The canonical names of ``names``, or all of ``every`` when ``names`` holds ``ALL``."""
    names = list(names)
    if ALL in names:
        return frozenset(canonicalize_name(n) for n in every) | frozenset(canonicalize_name(n) for n in names
                                                                           if n != ALL)
    return frozenset(canonicalize_name(n) for n in names)


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def range_of_line(text: str, line: int) -> Range:
    """The non-blank part of 0-based ``line`` of ``text`` (the start of the file when there is no such line)."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return START
    return Range.line_of(lines[line], line)


def lock_toml(path: Path, text: str, skip: tuple[str, ...] = ()) -> tuple[Mapping[str, Any] | None, LockError | None]:
    """``text`` parsed as TOML, or the error that says where it is not TOML; ``skip``: keys no reader of the lock
    looks at, whose values may read as ``0`` (``tomlfile.lean_text``)."""
    parsed = read_toml(path, text, skip)
    if parsed.data is not None:
        return parsed.data, None
    error = parsed.error
    if isinstance(error, RecursionError):
        return None, LockError(f"{path.name} is nested too deeply to be read", START)
    message = str(error).split(";")[0] if error is not None else "cannot be read"
    lines = text.split("\n")
    line, column = 0, 0
    if match := _TOML_AT.search(message):
        line = min(max(int(match.group(1)) - 1, 0), len(lines) - 1)
        column = min(max(int(match.group(2)) - 1, 0), len(lines[line].rstrip("\r")))
        message = message[: match.start()]
    elif match := _TOML_AT_END.search(message):
        line = len(lines) - 1
        column = len(lines[line])
        message = message[: match.start()] + " at the end of the file"
    end = max(column, len(lines[line].rstrip("\r\n").rstrip()))
    return None, LockError(f"{path.name} is not valid TOML: {message}",
                           Range(Position(line, column), Position(line, end)))


def entry_lines(text: str, header: str) -> list[int]:
    """The 0-based lines of each ``[[header]]`` array-of-tables header in ``text``, in order (as ``tomllib``
    lists the entries). A header inside a multi-line string is not one: such strings do not occur in locks,
    and a count that differs from the parsed entries makes the caller fall back to the first line."""
    pattern = re.compile(r"^[ \t]*\[\[[ \t]*" + re.escape(header) + r"[ \t]*\]\][ \t]*(?:#.*)?\r?$", re.MULTILINE)
    starts = [match.start() for match in pattern.finditer(text)]
    lines: list[int] = []
    line, offset = 0, 0
    for start in starts:
        line += text.count("\n", offset, start)
        offset = start
        lines.append(line)
    return lines


def entry_packages(path: Path, text: str, entries: list[Any], header: str,
                   make: Callable[[Any, int], LockedPackage | str]) -> tuple[list[LockedPackage], LockError | None]:
    """The packages of a lock's ``[[header]]`` array ``entries`` (each made by ``make(entry, line)``, which gives a
    reason instead of a package it cannot read), at the lines of their headers in ``text``; and the first entry's
    error, at its line."""
    lines = entry_lines(text, header)
    if len(lines) != len(entries):
        lines = [0] * len(entries)
    packages: list[LockedPackage] = []
    first_error: LockError | None = None
    for entry, line in zip(entries, lines, strict=True):
        package = make(entry, line)
        if isinstance(package, str):
            first_error = first_error or LockError(f"{path.name}: {package}", range_of_line(text, line))
            continue
        packages.append(package)
    return packages, first_error


def entry_head(entry: object, header: str) -> tuple[dict[str, Any], str, str | None, Marker | None] | str:
    """A ``[[header]]`` entry's table, name, version and own ``marker`` (PEP 751 and PDM spell them alike), or the
    reason it cannot be read."""
    if not isinstance(entry, dict):
        return f"a [[{header}]] entry must be a table"
    name, version = entry.get("name"), entry.get("version")
    if not isinstance(name, str) or not name.strip():
        return f"a [[{header}]] entry has no name"
    if version is not None and not isinstance(version, str):
        return f"package {name!r}: version must be a string"
    marker = marker_of(entry.get("marker"))
    if isinstance(marker, str):
        return f"package {name!r}: {marker}"
    return entry, name, version, marker


def marker_of(value: object) -> Marker | str | None:
    """A marker string as a ``Marker`` (``None`` for none or an empty one), or the reason it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return f"a marker must be a string, not {type(value).__name__}"
    try:
        return Marker(value)
    except InvalidMarker as error:
        return f"invalid marker {value!r}: {str(error).splitlines()[0]}"


def dependency_of_requirement(text: str) -> LockedDependency | None:
    """A PEP 508 requirement string of a lock (pdm's ``dependencies``, Poetry's ``[package.extras]``) as an edge;
    ``None`` when it is not one."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    return LockedDependency(canonicalize_name(requirement.name),
                            tuple(sorted(canonicalize_name(e) for e in requirement.extras)), requirement.marker)


def evaluate(marker: Marker | None, target: Target, *, extras: Set[str] = frozenset(),
             groups: Set[str] | None = None) -> bool:
    """Whether ``marker`` holds in the venv ``target`` describes, with ``extra`` standing for every extra in
    ``extras`` (a marker true for one of them holds) and PEP 751's ``extras``/``dependency_groups`` for
    ``extras``/``groups``. A marker that cannot be evaluated (a comparison PEP 508 leaves undefined) holds:
    a package is never called "not selected" on a guess."""
    if marker is None:
        return True
    environment: dict[str, str | Set[str]] = dict(target.environment)
    try:
        if groups is not None:  # PEP 751's set-valued markers (packaging 25 and later read them)
            environment["extra"] = ""
            environment["extras"] = frozenset(extras)
            environment["dependency_groups"] = frozenset(groups)
            return marker.evaluate(environment, context="lock_file")
        # one extra at a time: ``extra`` as a set needs packaging 26.4
        for extra in sorted(extras) or [""]:
            environment["extra"] = extra
            if marker.evaluate(environment):
                return True
        return False
    except (UndefinedComparison, UndefinedEnvironmentName, ValueError, TypeError):
        return True


def reachable(packages: Mapping[str, LockedPackage], roots: Iterable[LockedDependency], target: Target) -> set[str]:
    """The canonical names reached from ``roots`` through the lock's graph in the venv ``target`` describes: an
    edge is followed when its marker holds (with the extras asked of the package it leaves), a package's
    extras' edges when something asked for that extra."""
    asked: dict[str, set[str]] = {}
    pending: list[LockedDependency] = [root for root in roots if evaluate(root.marker, target)]
    while pending:
        edge = pending.pop()
        package = packages.get(edge.name)
        if package is None:
            continue
        had = asked.get(edge.name)
        new_extras = set(edge.extras) - (had or set())
        if had is not None and not new_extras:
            continue
        if had is None:
            asked[edge.name] = set(edge.extras)
            extras = set(edge.extras)
            pending.extend(d for d in package.dependencies if evaluate(d.marker, target, extras=extras))
        else:
            had |= new_extras
            extras = had
        for extra in new_extras:
            pending.extend(d for d in package.optional.get(extra, ())
                           if evaluate(d.marker, target, extras=extras))
    return set(asked)


def pyproject_data(folder: Path, manifests: ManifestText) -> Mapping[str, Any]:
    """The parsed ``pyproject.toml`` in ``folder`` (its editor buffer or the file; empty when there is none or it
    is not TOML): which groups a tool installs by default is written there, not in the lock."""
    path = folder / "pyproject.toml"
    text = manifests(path)
    if text is None:
        return {}
    return read_toml(path, text).data or {}


def changed_declaration(declarations: Iterable[Declaration], lock: Lock, project_name: str | None = None,
                        locked_groups: Set[str] | None = None) -> tuple[Declaration, str] | None:
    """The first declaration ``lock`` does not satisfy — a name it does not lock, or a version range none of the
    locked versions of that name is in — with why: where a manifest changed since it was locked, when that can
    be named (a declaration of the project itself, a path, URL or unnamed one is never such a place; nor one of
    a group the lock was not made for, when ``locked_groups`` names those it was: ``main`` for the main set)."""
    own = canonicalize_name(project_name) if project_name else None
    for declaration in declarations:
        if not declaration.normalized or declaration.kind != "registry" or declaration.normalized == own:
            continue
        if locked_groups is not None and canonicalize_name(declaration.group) not in locked_groups:
            continue
        entries = lock.by_name(declaration.normalized)
        if not entries:
            return declaration, f"{declaration.name} is not in {lock.path.name}"
        if not declaration.specifier:
            continue
        try:
            specifier = SpecifierSet(declaration.specifier)
        except InvalidSpecifier:
            continue
        versions = [entry.version for entry in entries if entry.version]
        if versions and not any(_contains(specifier, version) for version in versions):
            return declaration, (f"{lock.path.name} locks {declaration.name} {', '.join(versions)}, outside "
                                 f"{declaration.specifier}")
    return None


def _contains(specifier: SpecifierSet, version: str) -> bool:
    try:
        return specifier.contains(version, prereleases=True)
    except ValueError:  # not a PEP 440 version: nothing to compare, so no change to name
        return True
