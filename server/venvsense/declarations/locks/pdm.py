"""``pdm.lock`` (lock_version 3.x of PDM 1, 4.x of PDM 2): its packages, what ``pdm sync`` / ``pdm install``
selects for a venv, and whether its ``content_hash`` still matches ``pyproject.toml`` exactly as PDM computes it.

The selection, as ``pdm install`` without options: the groups the lock was made for (``[metadata] groups``:
``default``, optional and development groups alike) that ``pyproject.toml`` still declares — without that list,
``default`` and every development group (``[dependency-groups]``, ``[tool.pdm.dev-dependencies]``). A lock
made with the ``inherit_metadata`` strategy records per package its groups and marker, and these are evaluated
for the venv; an older one is walked from ``pyproject.toml``'s declarations through the lock's graph, each
edge's marker evaluated.
"""

from __future__ import annotations

import hashlib
import json
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
    entry_head,
    entry_packages,
    evaluate,
    lock_toml,
    marker_of,
    pyproject_data,
    range_of_line,
    reachable,
)
from venvsense.declarations.pyproject import read_pyproject
from venvsense.text import START
from venvsense.tomlfile import read_toml

__all__ = ["content_hashes", "development_groups", "outdated", "read", "select"]

_READ_MAJOR = (3, 4)
DEFAULT = "default"


def read(path: Path, text: str) -> Lock:
    """``pdm.lock`` as a ``Lock``; its ``error`` says what is not a PDM lock and where."""
    data, error = lock_toml(path, text, skip=("files",))  # the archives' names and hashes: never read
    if data is None:
        return Lock(path, "pdm", error=error, text=text)
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return Lock(path, "pdm", error=LockError(f"{path.name} has no [metadata] table", START), data=data, text=text)
    version = metadata.get("lock_version")
    if not _readable(version):
        return Lock(path, "pdm", error=LockError(
            f"{path.name} has lock_version {version!r}; venvsense reads PDM's lock_version 3.x and 4.x",
            range_of_line(text, _line_of_key(text, "lock_version"))), data=data, text=text)
    entries = data.get("package", [])
    if not isinstance(entries, list):
        return Lock(path, "pdm", error=LockError(f"{path.name}: package must be an array of tables",
                                                 range_of_line(text, _line_of_key(text, "package"))),
                    data=data, text=text)
    packages, first_error = entry_packages(path, text, entries, "package", _package)
    targets = metadata.get("targets")
    requires_python = None
    if isinstance(targets, list) and targets and isinstance(targets[0], dict):
        value = targets[0].get("requires_python")
        requires_python = value if isinstance(value, str) and value else None
    kept = lean_entries(data, frozenset({"name", "version", "source"}))  # ``source``: the actions' indexes
    return Lock(path, "pdm", tuple(packages), first_error, requires_python, kept, text)


def _readable(version: object) -> bool:
    if not isinstance(version, str):
        return False
    try:
        return Version(version).major in _READ_MAJOR
    except InvalidVersion:
        return False


def _line_of_key(text: str, key: str) -> int:
    for number, line in enumerate(text.split("\n")):
        if line.lstrip().startswith(key):
            return number
    return 0


def _package(raw: object, line: int) -> LockedPackage | str:
    head = entry_head(raw, "package")
    if isinstance(head, str):
        return head
    entry, name, version, marker = head
    groups = entry.get("groups")
    categories = frozenset(canonicalize_name(g) for g in groups if isinstance(g, str)) if isinstance(
        groups, list) else frozenset[str]()
    dependencies = entry.get("dependencies", [])
    edges = tuple(edge for item in (dependencies if isinstance(dependencies, list) else [])
                  if isinstance(item, str) and (edge := dependency_of_requirement(item)) is not None)
    source, location = _source(entry)
    return LockedPackage(canonicalize_name(name), version, source, line, marker, edges, {}, {}, categories,
                         location)


def _source(entry: Mapping[str, Any]) -> tuple[SourceKind, str]:
    editable = entry.get("editable") is True
    if isinstance(entry.get("git"), str):
        return ("editable" if editable else "git"), entry["git"]
    if isinstance(entry.get("path"), str):
        path = entry["path"]
        if editable:
            return "editable", path
        return ("path" if path.endswith((".whl", ".tar.gz", ".zip")) else "directory"), path
    if isinstance(entry.get("url"), str):
        return "url", entry["url"]
    return "registry", ""


# ---------------------------------------------------------------------------------------------------------
# What `pdm install` selects


def development_groups(pyproject: Mapping[str, Any]) -> frozenset[str]:
    """The development groups of a PDM project: ``[dependency-groups]`` and ``[tool.pdm.dev-dependencies]``."""
    names: set[str] = set()
    groups = pyproject.get("dependency-groups")
    names |= {canonicalize_name(g) for g in (groups if isinstance(groups, dict) else {})}
    tool = pyproject.get("tool")
    pdm = tool.get("pdm") if isinstance(tool, dict) else None
    dev = pdm.get("dev-dependencies") if isinstance(pdm, dict) else None
    names |= {canonicalize_name(g) for g in (dev if isinstance(dev, dict) else {})}
    return frozenset(names)


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What ``pdm install`` (with ``target``'s extras as optional groups, and its extra groups) installs into the
    venv ``target`` describes."""
    pyproject = pyproject_data(lock.path.parent, manifests)
    metadata = lock.data.get("metadata", {})
    locked = metadata.get("groups") if isinstance(metadata, dict) else None
    every = {g for g in locked if isinstance(g, str)} if isinstance(locked, list) else set()
    every |= {g for package in lock.packages for g in package.categories}
    wanted = _default_groups(pyproject, metadata) | asked(target.groups, every) | asked(target.extras, every)
    strategy = metadata.get("strategy", []) if isinstance(metadata, dict) else []
    chosen: list[LockedPackage]
    if isinstance(strategy, list) and "inherit_metadata" in strategy:
        chosen = [p for p in lock.packages if p.categories & wanted and evaluate(p.marker, target)]
    else:
        chosen = _walked(lock, frozenset(wanted), target, manifests)
    selected: dict[str, LockedPackage] = {}
    for package in chosen:
        selected.setdefault(package.name, package)
    own = frozenset(name for name, package in selected.items() if package.source in ("editable", "directory"))
    return Selection(selected, own)


def _default_groups(pyproject: Mapping[str, Any], metadata: object) -> set[str]:
    """The groups ``pdm install`` installs without options (``pdm.cli.filters.GroupSelection``): those the lock
    was made for (``[metadata] groups``) that the project still has; without that list, ``default`` and the
    development groups."""
    project = pyproject.get("project")
    optional = project.get("optional-dependencies") if isinstance(project, dict) else None
    known = ({DEFAULT} | development_groups(pyproject)
             | {canonicalize_name(g) for g in (optional if isinstance(optional, dict) else {})})
    locked = metadata.get("groups") if isinstance(metadata, dict) else None
    if isinstance(locked, list) and locked:
        return {str(canonicalize_name(g)) for g in locked if isinstance(g, str)} & known
    return {DEFAULT} | development_groups(pyproject)


def _walked(lock: Lock, wanted: frozenset[str], target: Target, manifests: ManifestText) -> list[LockedPackage]:
    pyproject = lock.path.parent / "pyproject.toml"
    text = manifests(pyproject)
    roots: list[LockedDependency] = []
    if text is not None:
        for declaration in read_pyproject(pyproject, text).declarations:
            group = DEFAULT if declaration.group == MAIN else canonicalize_name(declaration.group)
            if group in wanted:
                marker = marker_of(declaration.marker)
                roots.append(LockedDependency(declaration.normalized, declaration.extras,
                                              marker if isinstance(marker, Marker) else None))
    else:
        roots = [LockedDependency(p.name) for p in lock.packages]
    by_name: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if evaluate(package.marker, target):
            known = by_name.get(package.name)
            # pdm locks ``name[extra]`` as an entry of its own: its edges join the name's
            by_name[package.name] = package if known is None else LockedPackage(
                known.name, known.version, known.source, known.line, known.marker,
                known.dependencies + package.dependencies, categories=known.categories | package.categories,
                location=known.location)
    names = reachable(by_name, roots, target)
    return [package for name, package in by_name.items() if name in names]


# ---------------------------------------------------------------------------------------------------------
# content_hash


def content_hashes(pyproject: Mapping[str, Any], algorithm: str = "sha256") -> tuple[str, ...]:
    """The ``content_hash``es PDM has recorded for a ``pyproject.toml`` (``pdm.project.project_file``), the
    current one first: since June 2025 dependency groups merged and ``[tool.pdm.resolution]``; from December 2023
    ``[tool.pdm.dev-dependencies]`` alone and the overrides (``[tool.pdm.overrides]``, else
    ``[tool.pdm.resolution.overrides]``); before, ``[tool.pdm.overrides]`` only; before 2022, no overrides."""
    project = pyproject.get("project", {})
    project = project if isinstance(project, dict) else {}
    tool = pyproject.get("tool", {})
    settings = tool.get("pdm", {}) if isinstance(tool, dict) else {}
    settings = settings if isinstance(settings, dict) else {}
    groups: dict[str, list[Any]] = {}
    declared = pyproject.get("dependency-groups", {})
    for group, deps in (declared if isinstance(declared, dict) else {}).items():
        groups[canonicalize_name(group)] = list(deps) if isinstance(deps, list) else []
    dev = settings.get("dev-dependencies", {})
    for group, deps in (dev if isinstance(dev, dict) else {}).items():
        groups.setdefault(canonicalize_name(group), []).extend(deps if isinstance(deps, list) else [])
    resolution = settings.get("resolution", {})
    resolution = resolution if isinstance(resolution, dict) else {}
    common = {
        "sources": settings.get("source", []),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python", ""),
    }
    current = {**common, "dev-dependencies": groups, "resolution": resolution}
    dev_only = {**common, "dev-dependencies": dev if isinstance(dev, dict) else {}}
    renamed = settings["overrides"] if "overrides" in settings else resolution.get("overrides", {})
    forms = (current, {**dev_only, "overrides": renamed}, {**dev_only, "overrides": settings.get("overrides", {})},
             dev_only)

    def digest(content: Mapping[str, Any]) -> str:
        hasher = hashlib.new(algorithm)
        hasher.update(json.dumps(content, sort_keys=True).encode("utf-8"))
        return hasher.hexdigest()

    return tuple(dict.fromkeys(digest(form) for form in forms))


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """What ``pdm lock --check`` says: the lock's ``content_hash`` is not ``pyproject.toml``'s. Placed on a
    declaration the lock does not satisfy when there is one, else on the lock's first line."""
    path = lock.path.parent / "pyproject.toml"
    text = manifests(path)
    if text is None:
        return ()
    parsed = read_toml(path, text)
    if parsed.data is None:
        return ()
    metadata = lock.data.get("metadata", {})
    recorded = metadata.get("content_hash") if isinstance(metadata, dict) else None
    first = range_of_line(lock.text, 0)
    if not isinstance(recorded, str) or ":" not in recorded:
        return (Staleness(f"{lock.path.name} records no content_hash: run `pdm lock`", lock.path, first),)
    algorithm, value = recorded.split(":", 1)
    try:
        current = content_hashes(parsed.data, algorithm)
    except (ValueError, TypeError):  # an algorithm hashlib does not know, content JSON cannot hold
        return ()
    if value in current:
        return ()
    message = (f"{lock.path.name} is outdated: pyproject.toml changed since it was locked (content_hash "
               f"{value[:12]}… recorded, {current[0][:12]}… now); run `pdm lock`")
    manifest = read_pyproject(path, parsed=parsed)
    locked = metadata.get("groups") if isinstance(metadata, dict) else None
    groups = ({MAIN if g == DEFAULT else canonicalize_name(g) for g in locked if isinstance(g, str)}
              if isinstance(locked, list) else None)
    changed = changed_declaration(manifest.declarations, lock, manifest.project_name, groups)
    if changed is not None:
        declaration, why = changed
        return (Staleness(f"{message} — {why}", declaration.file, declaration.range),)
    return (Staleness(message, lock.path, first),)
