"""``poetry.lock`` (lock-version 1.x and 2.x): its packages, what ``poetry install`` selects for a venv, and
whether its ``content-hash`` still matches ``pyproject.toml`` exactly as Poetry computes it.

The selection, as ``poetry install`` without options: every dependency group except those
``[tool.poetry.group.<name>] optional = true`` marks (plus the ones the target asks for), no extras unless
asked. A lock-version 2.1 lock records per package its groups and the marker under which each group needs it,
and these are evaluated for the venv; an older one records no such thing, and the selection is the walk of the
lock's graph from ``pyproject.toml``'s declarations, each edge's marker (and ``python`` constraint) evaluated.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.declarations import MAIN
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
from venvsense.declarations.locks.shared import (
    asked,
    changed_declaration,
    dependency_of_requirement,
    entry_packages,
    evaluate,
    lock_toml,
    marker_of,
    pyproject_data,
    range_of_line,
    reachable,
)
from venvsense.declarations.pyproject import read_pyproject, translate_poetry_constraint
from venvsense.text import START, Range
from venvsense.tomlfile import read_toml

__all__ = ["content_hash", "outdated", "prerelease_content_hash", "read", "select"]

_READ_MAJOR = (1, 2)
_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_RELEVANT_KEYS = (*_LEGACY_KEYS, "group")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")
_GENERATED_BY = re.compile(r"Poetry ([^ ]+)")


def read(path: Path, text: str) -> Lock:
    """``poetry.lock`` as a ``Lock``; its ``error`` says what is not a Poetry lock and where."""
    data, error = lock_toml(path, text, skip=("files",))  # the archives' names and hashes: never read
    if data is None:
        return Lock(path, "poetry", error=error, text=text)
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return Lock(path, "poetry", error=LockError(f"{path.name} has no [metadata] table", START), data=data,
                    text=text)
    version = metadata.get("lock-version")
    if not _readable_version(version):
        return Lock(path, "poetry", error=LockError(
            f"{path.name} has lock-version {version!r}; venvsense reads Poetry's lock-version 1.x and 2.x",
            _key_range(text, "lock-version")), data=data, text=text)
    entries = data.get("package", [])
    if not isinstance(entries, list):
        return Lock(path, "poetry", error=LockError(f"{path.name}: package must be an array of tables",
                                                    _key_range(text, "package")), data=data, text=text)
    packages, first_error = entry_packages(path, text, entries, "package", _package)
    python = metadata.get("python-versions")
    requires_python = None
    if isinstance(python, str):
        try:
            requires_python = translate_poetry_constraint(python) or None
        except ValueError:
            requires_python = None
    # kept of each entry: its per-group ``markers`` (a 2.1 lock's selection) and ``source`` (the actions)
    kept = lean_entries(data, frozenset({"name", "version", "markers", "source"}))
    return Lock(path, "poetry", tuple(packages), first_error, requires_python, kept, text)


def _readable_version(version: object) -> bool:
    if not isinstance(version, str):
        return False
    try:
        return Version(version).major in _READ_MAJOR
    except InvalidVersion:
        return False


def _key_range(text: str, key: str) -> Range:
    match = re.search(r"^[ \t]*" + re.escape(key) + r"[ \t]*=", text, re.MULTILINE)
    return range_of_line(text, text.count("\n", 0, match.start())) if match else START


def _package(entry: object, line: int) -> LockedPackage | str:
    if not isinstance(entry, dict):
        return "a [[package]] entry must be a table"
    name, version = entry.get("name"), entry.get("version")
    if not isinstance(name, str) or not name.strip():
        return "a [[package]] entry has no name"
    if not isinstance(version, str):
        return f"package {name!r} has no version"
    marker = entry.get("markers")
    own_marker = marker_of(marker) if isinstance(marker, str) else None
    if isinstance(own_marker, str):
        return f"package {name!r}: {own_marker}"
    groups = entry.get("groups")
    categories: frozenset[str]
    if isinstance(groups, list):
        categories = frozenset(canonicalize_name(g) for g in groups if isinstance(g, str))
    else:
        category = entry.get("category")
        categories = frozenset({canonicalize_name(category)}) if isinstance(category, str) else frozenset({MAIN})
    source, location = _source(entry.get("source"), entry.get("develop") is True)
    dependencies, optional = _dependencies(entry.get("dependencies"), entry.get("extras"))
    return LockedPackage(canonicalize_name(name), version, source, line, own_marker, dependencies, optional,
                         {}, categories, location)


def _source(source: object, develop: bool) -> tuple[SourceKind, str]:
    if not isinstance(source, dict):
        return "registry", ""
    kind = source.get("type")
    url = source.get("url")
    location = url if isinstance(url, str) else ""
    if kind == "git":
        return "git", location
    if kind == "directory":
        return ("editable" if develop else "directory"), location
    if kind == "file":
        return "path", location
    if kind == "url":
        return "url", location
    return "registry", location  # legacy / explicit / supplemental / primary: an index


def _dependencies(table: object, extras: object) -> tuple[tuple[LockedDependency, ...],
                                                         dict[str, tuple[LockedDependency, ...]]]:
    """``[package.dependencies]`` (optional ones only through the package's extras) and ``[package.extras]``."""
    plain: list[LockedDependency] = []
    optional_names: dict[str, list[LockedDependency]] = {}
    for name, value in (table if isinstance(table, dict) else {}).items():
        for spec in value if isinstance(value, list) else [value]:
            edge, is_optional = _edge(name, spec)
            if edge is None:
                continue
            if is_optional:
                optional_names.setdefault(edge.name, []).append(edge)
            else:
                plain.append(edge)
    optional: dict[str, tuple[LockedDependency, ...]] = {}
    for extra, members in (extras if isinstance(extras, dict) else {}).items():
        edges: list[LockedDependency] = []
        for member in members if isinstance(members, list) else []:
            if not isinstance(member, str):
                continue
            parsed = dependency_of_requirement(member)
            if parsed is None:
                continue
            # the entry's own marker and extras from [package.dependencies] when it is listed there
            edges.extend(optional_names.get(parsed.name, [parsed]))
        optional[canonicalize_name(extra)] = tuple(edges)
    return tuple(plain), optional


def _edge(name: str, spec: object) -> tuple[LockedDependency | None, bool]:
    if isinstance(spec, str):
        return LockedDependency(canonicalize_name(name)), False
    if not isinstance(spec, dict):
        return None, False
    markers: list[str] = []
    if isinstance(spec.get("markers"), str) and spec["markers"].strip():
        markers.append(spec["markers"])
    if isinstance(spec.get("python"), str):
        python = _python_marker(spec["python"])
        if python:
            markers.append(python)
    marker: Marker | None = None
    if markers:
        parsed = marker_of(" and ".join(f"({m})" for m in markers) if len(markers) > 1 else markers[0])
        marker = parsed if isinstance(parsed, Marker) else None
    extras = spec.get("extras")
    names = tuple(sorted(canonicalize_name(e) for e in extras if isinstance(e, str))) if isinstance(
        extras, list) else ()
    return LockedDependency(canonicalize_name(name), names, marker), spec.get("optional") is True


def _python_marker(constraint: str) -> str:
    """A Poetry ``python`` constraint as a marker, each ``||`` alternative exactly."""
    alternatives: list[str] = []
    for alternative in re.split(r"\s*\|\|?\s*", constraint.strip()):
        try:
            specifier = translate_poetry_constraint(alternative)
        except ValueError:
            return ""
        if not specifier:
            return ""  # one alternative allows every Python
        terms = []
        for clause in specifier.split(","):
            match = re.fullmatch(r"(===|~=|==|!=|>=|<=|<|>)(.+)", clause.strip())
            if match is None:
                return ""
            operator, version = match.groups()
            variable = "python_full_version" if version.removesuffix(".*").count(".") >= 2 else "python_version"
            terms.append(f'{variable} {operator} "{version}"')
        alternatives.append(" and ".join(terms))
    return alternatives[0] if len(alternatives) == 1 else " or ".join(f"({a})" for a in alternatives)


# ---------------------------------------------------------------------------------------------------------
# What `poetry install` selects


def installed_groups(pyproject: Mapping[str, Any], lock: Lock, target: Target) -> frozenset[str]:
    """The groups ``poetry install`` installs: ``main`` and every group the lock or ``pyproject.toml`` knows,
    except the optional ones, plus those the target asks for."""
    poetry = pyproject.get("tool", {}).get("poetry", {}) if isinstance(pyproject.get("tool"), dict) else {}
    declared = poetry.get("group", {}) if isinstance(poetry, dict) else {}
    optional = {canonicalize_name(name) for name, table in (declared if isinstance(declared, dict) else {}).items()
                if isinstance(table, dict) and table.get("optional") is True}
    known = {MAIN, "dev"} | {g for package in lock.packages for g in package.categories}
    known |= {canonicalize_name(name) for name in (declared if isinstance(declared, dict) else {})}
    groups = pyproject.get("dependency-groups")
    known |= {canonicalize_name(name) for name in (groups if isinstance(groups, dict) else {})}
    return frozenset((known - optional) | asked(target.groups, known))


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What ``poetry install`` (with ``target``'s extras and extra groups) installs into the venv ``target``
    describes. ``pyproject.toml`` next to the lock says which groups are optional (and, for a lock older than
    2.1, where the walk starts)."""
    pyproject = pyproject_data(lock.path.parent, manifests)
    groups = installed_groups(pyproject, lock, target)
    lock_extras = lock.data.get("extras")
    every = set(lock_extras if isinstance(lock_extras, dict) else {}) | {
        extra for package in lock.packages for extra in package.optional}
    extras = asked(target.extras, every)
    metadata = lock.data.get("metadata", {})
    if Version(str(metadata.get("lock-version", "1.0"))) >= Version("2.1"):
        chosen = [package for package in lock.packages if _holds_2_1(package, lock, groups, extras, target)]
    else:
        chosen = _walked(lock, groups, extras, target, manifests)
    selected: dict[str, LockedPackage] = {}
    for package in chosen:
        selected.setdefault(package.name, package)
    own = frozenset(name for name, package in selected.items() if package.source in ("editable", "directory"))
    return Selection(selected, own)


def _holds_2_1(package: LockedPackage, lock: Lock, groups: frozenset[str], extras: frozenset[str],
               target: Target) -> bool:
    wanted = package.categories & groups
    if not wanted:
        return False
    if package.marker is not None or not _per_group_markers(lock, package):
        return evaluate(package.marker, target, extras=extras)
    per_group = _per_group_markers(lock, package)
    for group in wanted:
        marker = marker_of(per_group.get(group))
        if not isinstance(marker, str) and evaluate(marker, target, extras=extras):
            return True
    return False


def _per_group_markers(lock: Lock, package: LockedPackage) -> dict[str, object]:
    """A 2.1 lock's ``markers = {main = "...", dev = "..."}`` of ``package`` (canonical group names)."""
    entries = lock.data.get("package", [])
    for entry in entries if isinstance(entries, list) else []:
        if (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and canonicalize_name(entry["name"]) == package.name and entry.get("version") == package.version
                and isinstance(entry.get("markers"), dict)):
            return {canonicalize_name(group): marker for group, marker in entry["markers"].items()}
    return {}


def _walked(lock: Lock, groups: frozenset[str], extras: frozenset[str], target: Target,
            manifests: ManifestText) -> list[LockedPackage]:
    """A lock older than 2.1: the lock's graph walked from the project's declarations."""
    pyproject = lock.path.parent / "pyproject.toml"
    text = manifests(pyproject)
    roots: list[LockedDependency] = []
    if text is not None:
        for declaration in read_pyproject(pyproject, text).declarations:
            group = canonicalize_name(declaration.group) if declaration.group != MAIN else MAIN
            if group in groups or group in extras:
                marker = marker_of(declaration.marker)
                roots.append(LockedDependency(declaration.normalized, declaration.extras,
                                              marker if isinstance(marker, Marker) else None))
    else:  # no manifest: every package the lock does not mark optional, in the groups installed
        roots = [LockedDependency(p.name) for p in lock.packages if p.categories & groups]
    by_name: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if evaluate(package.marker, target):
            by_name.setdefault(package.name, package)
    names = reachable(by_name, roots, target)
    return [package for name, package in by_name.items() if name in names]


# ---------------------------------------------------------------------------------------------------------
# content-hash


def content_hash(pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True) -> str:
    """The ``content-hash`` Poetry records for a ``pyproject.toml`` (``poetry.packages.locker``, Poetry 1.x to
    2.x): the sha256 of the relevant ``[project]``, ``[dependency-groups]`` and ``[tool.poetry]`` content as
    sorted JSON; before Poetry 2.3 ``[dependency-groups]`` was left out (``with_dependency_groups=False``)."""
    project = pyproject.get("project", {})
    project = project if isinstance(project, dict) else {}
    groups = pyproject.get("dependency-groups", {}) if with_dependency_groups else {}
    tool = pyproject.get("tool", {})
    poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
    poetry = poetry if isinstance(poetry, dict) else {}
    relevant_project = {key: project[key] for key in _PROJECT_KEYS if project.get(key) is not None}
    relevant_poetry: dict[str, Any] = {}
    for key in _RELEVANT_KEYS:
        value = poetry.get(key)
        if value is None and (key not in _LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = value
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def prerelease_content_hash(pyproject: Mapping[str, Any]) -> str:
    """The ``content-hash`` of Poetry 1.2's pre-releases (2021–2022): ``[tool.poetry]`` ``dependencies``,
    ``group``, ``source``, ``extras``, each (null when missing) at top level."""
    tool = pyproject.get("tool", {})
    poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
    poetry = poetry if isinstance(poetry, dict) else {}
    content = {key: poetry.get(key) for key in ("dependencies", "group", "source", "extras")}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _generated_before_2_3(text: str) -> bool:
    first = text.split("\n", 1)[0]
    match = _GENERATED_BY.search(first)
    if match is None:
        return False
    try:
        return Version(match.group(1)) < Version("2.3.0")
    except InvalidVersion:
        return False


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """What ``poetry check --lock`` says: the lock's ``content-hash`` differs from ``pyproject.toml``'s (as
    Poetry computes it; a lock written by Poetry before 2.3 also without ``[dependency-groups]``, as Poetry
    itself accepts; and a lock written by a Poetry 1.2 pre-release in that release's form). Placed on a
    declaration the lock does not satisfy when there is one, else on the lock's first line."""
    path = lock.path.parent / "pyproject.toml"
    text = manifests(path)
    if text is None:
        return ()
    parsed = read_toml(path, text)
    if parsed.data is None:
        return ()  # the pyproject reader reports why (VS206)
    metadata = lock.data.get("metadata", {})
    recorded = metadata.get("content-hash") if isinstance(metadata, dict) else None
    current = content_hash(parsed.data)
    if recorded == current:
        return ()
    if isinstance(recorded, str) and _generated_before_2_3(lock.text) and recorded == content_hash(
            parsed.data, with_dependency_groups=False):
        return ()
    if isinstance(recorded, str) and recorded == prerelease_content_hash(parsed.data):
        return ()
    if not isinstance(recorded, str):
        return (Staleness(f"{lock.path.name} records no content-hash: run `poetry lock`", lock.path,
                          range_of_line(lock.text, 0)),)
    manifest = read_pyproject(path, parsed=parsed)
    changed = changed_declaration(manifest.declarations, lock, manifest.project_name)
    message = (f"{lock.path.name} is outdated: pyproject.toml changed since it was locked (content-hash "
               f"{recorded[:12]}… recorded, {current[:12]}… now); run `poetry lock`")
    if changed is not None:
        declaration, why = changed
        return (Staleness(f"{message} — {why}", declaration.file, declaration.range),)
    return (Staleness(message, lock.path, range_of_line(lock.text, 0)),)
