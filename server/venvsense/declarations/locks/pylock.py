"""``pylock.toml`` / ``pylock.<name>.toml`` (PEP 751, lock-version 1.x): its packages and what an installer
selects from it for a venv.

The selection is PEP 751's: every ``[[packages]]`` entry whose ``marker`` holds, evaluated with ``extras`` the
target asks for and ``dependency_groups`` = the lock's ``default-groups`` plus the groups the target asks for;
none when the venv is outside the lock's ``requires-python`` or matches none of its ``environments`` (then the
selection's ``error`` says so). A PEP 751 lock records no hash of its manifest, so it is never "outdated"
(``uv export`` writes it from ``uv.lock``, whose own check covers that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

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
)
from venvsense.declarations.locks.shared import (
    asked,
    entry_head,
    entry_packages,
    evaluate,
    lock_toml,
    marker_of,
    range_of_line,
)
from venvsense.text import START, Range

__all__ = ["outdated", "read", "select"]


def read(path: Path, text: str) -> Lock:
    """A PEP 751 lock as a ``Lock``; its ``error`` says what is not one and where."""
    data, error = lock_toml(path, text)
    if data is None:
        return Lock(path, "pylock", error=error, text=text)
    version = data.get("lock-version")
    if not _readable(version):
        return Lock(path, "pylock", error=LockError(
            f"{path.name} has lock-version {version!r}; venvsense reads PEP 751's lock-version 1.x",
            _line_range(text, "lock-version")), data=data, text=text)
    problem = _top_level_problem(data)
    if problem is not None:
        key, message = problem
        return Lock(path, "pylock", error=LockError(f"{path.name}: {message}", _line_range(text, key)), data=data,
                    text=text)
    entries = data.get("packages", [])
    packages, first_error = entry_packages(path, text, entries, "packages", _package)
    requires_python = data.get("requires-python")
    return Lock(path, "pylock", tuple(packages), first_error,
                requires_python if isinstance(requires_python, str) else None, data, text)


def _readable(version: object) -> bool:
    if not isinstance(version, str):
        return False
    try:
        return Version(version).major == 1
    except InvalidVersion:
        return False


def _line_range(text: str, key: str) -> Range:
    for number, line in enumerate(text.split("\n")):
        if line.lstrip().startswith(key):
            return range_of_line(text, number)
    return START


def _top_level_problem(data: Any) -> tuple[str, str] | None:
    for key in ("environments", "extras", "dependency-groups", "default-groups"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return key, f"{key} must be an array of strings"
    for marker in data.get("environments", []):
        if isinstance(marker_of(marker), str):
            return "environments", f"environments holds an invalid marker {marker!r}"
    requires = data.get("requires-python")
    if requires is not None:
        try:
            SpecifierSet(requires)
        except (InvalidSpecifier, TypeError):
            return "requires-python", f"requires-python {requires!r} is not a version specifier"
    if not isinstance(data.get("packages", []), list):
        return "packages", "packages must be an array of tables"
    return None


def _package(raw: object, line: int) -> LockedPackage | str:
    head = entry_head(raw, "packages")
    if isinstance(head, str):
        return head
    entry, name, version, marker = head
    dependencies = entry.get("dependencies", [])
    edges = tuple(LockedDependency(canonicalize_name(item["name"]))
                  for item in (dependencies if isinstance(dependencies, list) else [])
                  if isinstance(item, dict) and isinstance(item.get("name"), str))
    source, location = _source(entry)
    return LockedPackage(canonicalize_name(name), version, source, line, marker, edges, location=location)


def _source(entry: dict[str, Any]) -> tuple[SourceKind, str]:
    vcs, directory, archive = entry.get("vcs"), entry.get("directory"), entry.get("archive")
    if isinstance(vcs, dict):
        return "git", str(vcs.get("url") or vcs.get("path") or "")
    if isinstance(directory, dict):
        path = str(directory.get("path") or "")
        return ("editable" if directory.get("editable") is True else "directory"), path
    if isinstance(archive, dict):
        if isinstance(archive.get("path"), str):
            return "path", archive["path"]
        return "url", str(archive.get("url") or "")
    index = entry.get("index")
    return "registry", index if isinstance(index, str) else ""


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What a PEP 751 installer installs into the venv ``target`` describes (see the module's text)."""
    python = target.environment.get("python_full_version")
    if lock.requires_python and python:
        try:
            if not SpecifierSet(lock.requires_python).contains(python, prereleases=True):
                return Selection({}, error=f"{lock.path.name} requires Python {lock.requires_python}; the venv "
                                           f"has {python}")
        except (InvalidSpecifier, InvalidVersion):
            pass
    environments = [m for m in (marker_of(e) for e in lock.data.get("environments", [])) if m is not None]
    if environments and not any(evaluate(m, target) for m in environments if not isinstance(m, str)):
        return Selection({}, error=f"{lock.path.name} is locked for other environments "
                                   f"({'; '.join(lock.data.get('environments', []))})")
    extras = asked(target.extras, lock.data.get("extras", []))
    defaults = lock.data.get("default-groups", [])
    groups = frozenset(str(g) for g in defaults) | asked(target.groups, lock.data.get("dependency-groups", []))
    selected: dict[str, LockedPackage] = {}
    for package in lock.packages:
        if evaluate(package.marker, target, extras=extras, groups=groups):
            selected.setdefault(package.name, package)
    own = frozenset(name for name, package in selected.items() if package.source in ("editable", "directory"))
    return Selection(selected, own)


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """Nothing: a PEP 751 lock records no hash of what it was made from."""
    return ()
