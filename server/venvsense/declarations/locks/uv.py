"""``uv.lock``: read into the lock model; what ``uv sync`` installs from it; whether ``uv lock`` would change it.

The file (``version = 1``; ``revision``; ``requires-python``; ``resolution-markers``; ``[manifest]`` with the
workspace ``members``, ``requirements``/``constraints``/``overrides`` and a virtual root's
``dependency-groups``; ``[[package]]`` with ``name``, ``version``, ``source``, ``dependencies``,
``optional-dependencies``, ``dev-dependencies`` and, for the workspace's own projects, ``[package.metadata]``
``requires-dist``/``requires-dev``/``provides-extras``) is read with ``tomllib``; places come from the pyproject
position scanner run over the lock's text. ``select`` follows ``uv sync``'s defaults: the root project (or, for a
virtual root, every member) with its dependencies, markers evaluated for the venv, the ``dev`` group and
``[tool.uv] default-groups``, no extras. ``outdated`` follows ``uv lock --check`` (see ``uvcheck.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from venvsense.declarations.locks.model import (
    Lock,
    LockedDependency,
    LockedPackage,
    LockError,
    ManifestText,
    Selection,
    SourceKind,
    Staleness,
    Target,
    lean_entries,
)
from venvsense.declarations.locks.uvcheck import manifest_table, stale, toml_of
from venvsense.declarations.pyproject.positions import PositionMap
from venvsense.text import START, Range
from venvsense.tomlfile import read_toml

SOURCE_KEYS: tuple[tuple[str, SourceKind], ...] = (
    ("registry", "registry"), ("editable", "editable"), ("virtual", "virtual"), ("directory", "directory"),
    ("path", "path"), ("git", "git"), ("url", "url"),
)
OWN_SOURCES = frozenset({"editable", "virtual", "directory"})
# what no reader of a uv lock looks at, most of its bytes: read as ``0`` (``tomlfile.lean_text``)
SKIPPED = ("sdist", "wheels")
# what of a [[package]] entry is kept in ``Lock.data`` (for ``uvcheck`` and the actions); the rest is the model
KEPT = frozenset({"name", "version", "source", "metadata"})
_TOML_ERROR = re.compile(r"\(at line (\d+), column (\d+)\)")


class _Bad(Exception):
    """A part of the lock that is not what uv writes: the message and the key path where."""

    def __init__(self, message: str, key: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def read(path: Path, text: str) -> Lock:
    """``text`` (the content of ``path``) as a ``Lock``; an ``error`` for text that is not a uv lock."""
    parsed = read_toml(path, text, skip=SKIPPED)
    if parsed.data is None:
        match = _TOML_ERROR.search(str(parsed.error))
        where = Range.of(int(match[1]) - 1, max(int(match[2]) - 1, 0), int(match[2])) if match else START
        reason = _TOML_ERROR.sub("", str(parsed.error)).strip() or "it cannot be parsed"
        return Lock(path, "uv", error=LockError(f"{path.name} is not valid TOML: {reason}", where), text=text)
    data = dict(parsed.data)
    positions = _LazyPositions(text)
    version = data.get("version")
    if version != 1:
        where = positions.entry_range(("version",)) if "version" in data else START
        said = "has no format version" if version is None else f"has format version {version!r}"
        return Lock(path, "uv", error=LockError(f"{path.name} {said}; venvsense reads uv.lock version 1", where),
                    data=data, text=text)
    packages: list[LockedPackage] = []
    problem: LockError | None = None
    entries = data.get("package", [])
    if not isinstance(entries, list):
        entries = []
        problem = LockError(f"{path.name}: 'package' is not an array of tables", positions.entry_range(("package",)))
    lines = _package_lines(text, len(entries), positions)
    for index, entry in enumerate(entries):
        try:
            packages.append(_package(entry, index, lines[index]))
        except _Bad as bad:
            if problem is None:
                problem = LockError(f"{path.name}: {bad.message}", positions.entry_range(bad.key))
    requires_python = data.get("requires-python")
    return Lock(path, "uv", tuple(packages), problem,
                requires_python=requires_python if isinstance(requires_python, str) else None,
                data=lean_entries(data, KEPT), text=text)


class _LazyPositions:
    """The position scanner, run over the text only when a place is asked for (an error; headers uv did not
    write its way): a real lock is megabytes, and finding its ``[[package]]`` lines needs no scanner."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._map: PositionMap | None = None

    def entry_range(self, key: tuple[str | int, ...]) -> Range:
        if self._map is None:
            self._map = PositionMap(self.text)
        return self._map.entry_range(key)


_PACKAGE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*package[ \t]*\]\][ \t]*(?:#.*)?$", re.MULTILINE)


def header_offsets(text: str) -> list[int]:
    """The offsets of the lines ``_PACKAGE_HEADER`` matches, in order: what ``finditer`` gives, without trying the
    pattern at each of a lock's million offsets (12 ms on a 1.5 MB lock). A match starts a line whose first
    characters but blanks are ``[[``: the pattern is tried at those lines only."""
    offsets: list[int] = []
    at = text.find("[[")
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        if not text[start:at].strip(" \t") and (not offsets or offsets[-1] != start):
            match = _PACKAGE_HEADER.match(text, start)
            if match is not None:
                offsets.append(match.start())
        end = text.find("\n", at)
        if end == -1:
            break
        at = text.find("[[", end)
    return offsets


def _package_lines(text: str, count: int, positions: _LazyPositions) -> list[int]:
    """The 0-based line of each ``[[package]]`` header, in order."""
    offsets = header_offsets(text)
    if len(offsets) == count:
        lines, line, last = [], 0, 0
        for offset in offsets:
            line += text.count("\n", last, offset)
            last = offset
            lines.append(line)
        return lines
    return [positions.entry_range(("package", index)).start.line for index in range(count)]


def _package(entry: Any, index: int, line: int) -> LockedPackage:
    key: tuple[str | int, ...] = ("package", index)
    if not isinstance(entry, dict):
        raise _Bad("a [[package]] entry is not a table", key)
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise _Bad("a [[package]] entry has no name", key)
    version = entry.get("version")
    if version is not None and not isinstance(version, str):
        raise _Bad(f"package {name!r} has a version that is not a string", (*key, "version"))
    source = entry.get("source", {})
    kind: SourceKind = "registry"
    location = ""
    if isinstance(source, dict):
        for source_key, source_kind in SOURCE_KEYS:
            if source_key in source:
                kind, location = source_kind, str(source[source_key])
                break
    return LockedPackage(
        name=canonicalize_name(name), version=version, source=kind, line=line,
        dependencies=_edges(entry.get("dependencies", []), (*key, "dependencies")),
        optional=_edge_tables(entry.get("optional-dependencies", {}), (*key, "optional-dependencies")),
        groups=_edge_tables(entry.get("dev-dependencies", {}), (*key, "dev-dependencies")),
        location=location,
    )


def _edge_tables(tables: Any, key: tuple[str | int, ...]) -> dict[str, tuple[LockedDependency, ...]]:
    if not isinstance(tables, dict):
        raise _Bad("a dependency table is not a table", key)
    return {canonicalize_name(str(name)): _edges(edges, (*key, name)) for name, edges in tables.items()}


def _edges(edges: Any, key: tuple[str | int, ...]) -> tuple[LockedDependency, ...]:
    if not isinstance(edges, list):
        raise _Bad("a dependency list is not an array", key)
    result = []
    for index, edge in enumerate(edges):
        if not isinstance(edge, dict) or not isinstance(edge.get("name"), str):
            raise _Bad("a dependency has no name", (*key, index))
        result.append(LockedDependency(
            name=canonicalize_name(edge["name"]),
            extras=tuple(sorted(canonicalize_name(str(extra)) for extra in edge.get("extra", []))),
            marker=_marker(edge.get("marker"), (*key, index, "marker")),
            version=edge.get("version") if isinstance(edge.get("version"), str) else None,
        ))
    return tuple(result)


def _marker(text: Any, key: tuple[str | int, ...]) -> Marker | None:
    if text is None:
        return None
    try:
        return _parsed_marker(str(text))
    except InvalidMarker as error:
        raise _Bad(f"a dependency marker is not valid: {error}", key) from None


@functools.lru_cache(maxsize=1024)
def _parsed_marker(text: str) -> Marker:
    # a lock repeats a few dozen markers hundreds of times: each is parsed once (a Marker is never changed)
    return Marker(text)


# --- what ``uv sync`` installs -------------------------------------------------------------------------------


def own_packages(lock: Lock) -> tuple[LockedPackage, ...]:
    """The workspace's own projects: local entries (editable, virtual, directory) that the ``[manifest]`` lists as
    members, or, without a manifest, the one at ``.``."""
    recorded = manifest_table(lock).get("members", [])
    members = {canonicalize_name(name) for name in recorded if isinstance(name, str)}
    return tuple(package for package in lock.packages if package.source in OWN_SOURCES
                 and (package.name in members or package.location == "."))


def root_package(lock: Lock) -> LockedPackage | None:
    """The project at the lock's folder (``source = { editable = "." }`` or virtual/directory ``.``), ``None`` for a
    virtual workspace root (a ``pyproject.toml`` without ``[project]``)."""
    for package in lock.packages:
        if package.source in OWN_SOURCES and package.location in (".", ""):
            return package
    return None


def default_groups(lock: Lock, manifests: ManifestText) -> frozenset[str] | None:
    """The dependency groups ``uv sync`` installs: ``dev`` unless ``[tool.uv] default-groups`` says otherwise;
    ``None`` for ``default-groups = "all"``."""
    pyproject = toml_of(manifests(lock.path.parent / "pyproject.toml"))
    tool_uv = pyproject.get("tool", {}).get("uv", {}) if isinstance(pyproject.get("tool"), dict) else {}
    configured = tool_uv.get("default-groups") if isinstance(tool_uv, dict) else None
    if configured == "all":
        return None
    if isinstance(configured, list):
        return frozenset(canonicalize_name(str(group)) for group in configured)
    return frozenset({"dev"})


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What ``uv sync`` (no flags but ``target``'s extras and groups) installs into the venv ``target`` describes."""
    groups = default_groups(lock, manifests)
    if groups is None or "*" in target.groups:
        wanted_groups = None  # every group (``default-groups = "all"``, ``--all-groups``)
    else:
        wanted_groups = groups | {canonicalize_name(g) for g in target.groups}
    environment = dict(target.environment)
    root = root_package(lock)
    own = own_packages(lock)
    starts: list[tuple[LockedPackage, frozenset[str], bool]] = []
    def extras_of(package: LockedPackage) -> frozenset[str]:
        if "*" in target.extras:  # ``--all-extras``
            return frozenset(package.optional)
        return frozenset(canonicalize_name(e) for e in target.extras) & frozenset(package.optional)

    if root is not None:
        starts.append((root, extras_of(root), True))
    else:
        starts.extend((member, extras_of(member), True) for member in own)
    by_name: dict[str, list[LockedPackage]] = {}
    for package in lock.packages:
        by_name.setdefault(package.name, []).append(package)
    selected: dict[str, LockedPackage] = {}
    seen: set[tuple[str, str | None, frozenset[str]]] = set()
    queue = list(starts)
    edges: list[LockedDependency] = []
    if root is None:  # a virtual root's own groups, recorded in the manifest
        edges.extend(_manifest_group_edges(lock, wanted_groups))
    while queue or edges:
        while edges:
            edge = edges.pop()
            if edge.marker is not None and not _holds(edge.marker, environment):
                continue
            entry = _entry(by_name.get(edge.name, []), edge, environment)
            if entry is not None:
                queue.append((entry, frozenset(edge.extras), False))
        if not queue:
            break
        package, extras, is_start = queue.pop()
        state = (package.name, package.version, extras | ({"<start>"} if is_start else set()))
        if state in seen:
            continue
        seen.add(state)
        if package.source != "virtual":
            selected.setdefault(package.name, package)
        edges.extend(package.dependencies)
        for extra in extras:
            edges.extend(package.optional.get(extra, ()))
        if is_start:
            for group, group_edges in package.groups.items():
                if wanted_groups is None or group in wanted_groups:
                    edges.extend(group_edges)
    return Selection(selected, own=frozenset(package.name for package in own))


def _manifest_group_edges(lock: Lock, wanted: frozenset[str] | None) -> Iterable[LockedDependency]:
    tables = manifest_table(lock).get("dependency-groups", {})
    if not isinstance(tables, dict):
        return
    for group, requirements in tables.items():
        if wanted is not None and canonicalize_name(str(group)) not in wanted:
            continue
        for requirement in requirements if isinstance(requirements, list) else []:
            if isinstance(requirement, dict) and isinstance(requirement.get("name"), str):
                marker = requirement.get("marker")
                try:
                    parsed = Marker(marker) if isinstance(marker, str) else None
                except InvalidMarker:
                    parsed = None
                yield LockedDependency(canonicalize_name(requirement["name"]),
                                       tuple(sorted(canonicalize_name(str(e)) for e in requirement.get("extras", []))),
                                       parsed)


def _entry(candidates: list[LockedPackage], edge: LockedDependency,
           environment: Mapping[str, str]) -> LockedPackage | None:
    if len(candidates) <= 1 or edge.version is None:
        return candidates[0] if candidates else None
    for candidate in candidates:
        if candidate.version == edge.version:
            return candidate
    return candidates[0]


def _holds(marker: Marker, environment: Mapping[str, str]) -> bool:
    try:
        return marker.evaluate(dict(environment))
    except Exception:  # an unknown variable (uv's conflict markers use extras of other packages): not selected
        return False


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """Where ``uv lock --check`` would find ``lock`` out of date (see ``uvcheck.py``)."""
    return stale(lock, manifests)
