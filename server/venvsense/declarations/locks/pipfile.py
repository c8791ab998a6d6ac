"""``Pipfile.lock`` (pipenv's JSON lock): its packages by category, what pipenv installs for a venv, and whether
its ``_meta.hash.sha256`` still matches the ``Pipfile`` exactly as pipenv computes it.

The selection is ``pipenv install --dev`` / ``pipenv sync --dev``: the ``default`` and ``develop`` categories
(plus any custom category the target asks for), each entry whose ``markers`` hold in the venv. Pipfile.lock
has no dependency graph: everything pipenv installs is listed, flat. A name pinned differently in two
categories is two entries.

The hash: sha256 of the Pipfile's ``source`` (pipenv adds PyPI when there is none), ``requires`` and package
categories as compact sorted JSON. pipenv since 2026 writes the package names canonical (PEP 503); earlier
versions (plette) as written, and in 2022 with the ``[pipenv]`` section: a lock carrying any of them is current.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvsense.declarations.locks.model import (
    Lock,
    LockedPackage,
    LockError,
    ManifestText,
    Selection,
    SourceKind,
    Staleness,
    Target,
)
from venvsense.declarations.locks.shared import ALL, changed_declaration, evaluate, marker_of, range_of_line
from venvsense.declarations.pipfile import read_pipfile
from venvsense.text import START, Position, Range
from venvsense.tomlfile import read_toml

__all__ = ["DEFAULT_CATEGORIES", "outdated", "pipfile_hashes", "read", "select"]

# What pipenv installs for a development venv (`pipenv install --dev`): both categories.
DEFAULT_CATEGORIES = frozenset({"default", "develop"})
_NOT_CATEGORIES = frozenset({"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"})
# The key older pipenv wrote for a local path entry (``e1839a8 = {path = ".", editable = true}``): a hash, not a name.
_PLACEHOLDER = re.compile(r"[0-9a-f]{7,40}")
_DEFAULT_SOURCE = [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]


def read(path: Path, text: str) -> Lock:
    """``Pipfile.lock`` as a ``Lock``; its ``error`` says what is not a pipenv lock and where."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        line, column = error.lineno - 1, error.colno - 1
        return Lock(path, "pipfile", error=LockError(f"{path.name} is not valid JSON: {error.msg}",
                                                     Range(Position(line, column), Position(line, column + 1))),
                    text=text)
    except RecursionError:
        return Lock(path, "pipfile", error=LockError(f"{path.name} is nested too deeply to be read", START), text=text)
    if not isinstance(data, dict):
        return Lock(path, "pipfile", error=LockError(f"{path.name} must hold a JSON object", START), text=text)
    meta = data.get("_meta")
    if not isinstance(meta, dict):
        return Lock(path, "pipfile", error=LockError(f"{path.name} has no _meta object", START), data=data,
                    text=text)
    packages: dict[tuple[str, str | None], LockedPackage] = {}
    first_error: LockError | None = None
    for category, entries in data.items():
        if category == "_meta":
            continue
        if not isinstance(entries, dict):
            first_error = first_error or LockError(f"{path.name}: {category!r} must be an object of packages",
                                                   _key_range(text, category, 0))
            continue
        start = _key_offset(text, category, 0)
        for name, entry in entries.items():
            line = _line_of(text, _key_offset(text, name, start))
            package = _package(name, entry, category, line)
            if isinstance(package, str):
                first_error = first_error or LockError(f"{path.name}: {package}", range_of_line(text, line))
                continue
            known = packages.get((package.name, package.version))
            if known is not None:  # the same pin in two categories: one entry in both
                package = LockedPackage(known.name, known.version, known.source, known.line, known.marker,
                                        categories=known.categories | package.categories, location=known.location)
            packages[(package.name, package.version)] = package
    requires = meta.get("requires")
    requires_python = None
    if isinstance(requires, dict):
        if isinstance(requires.get("python_full_version"), str):
            requires_python = f"=={requires['python_full_version']}"
        elif isinstance(requires.get("python_version"), str):
            requires_python = f"=={requires['python_version']}.*"
    return Lock(path, "pipfile", tuple(packages.values()), first_error, requires_python, data, text)


def _key_offset(text: str, key: str, start: int) -> int:
    match = re.compile(r'"' + re.escape(json.dumps(key)[1:-1]) + r'"\s*:').search(text, start)
    return match.start() if match else start


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _key_range(text: str, key: str, start: int) -> Range:
    return range_of_line(text, _line_of(text, _key_offset(text, key, start)))


def _package(name: str, entry: object, category: str, line: int) -> LockedPackage | str:
    if not isinstance(entry, dict):
        return f"package {name!r} must be an object"
    version = entry.get("version")
    if version is not None and not isinstance(version, str):
        return f"package {name!r}: version must be a string"
    pinned = version[2:].strip() if isinstance(version, str) and version.startswith("==") else version
    marker = marker_of(entry.get("markers"))
    if isinstance(marker, str):
        return f"package {name!r}: {marker}"
    source, location = _source(entry)
    return LockedPackage(canonicalize_name(name), pinned, source, line, marker, categories=frozenset({category}),
                         location=location)


def _source(entry: Mapping[str, Any]) -> tuple[SourceKind, str]:
    editable = entry.get("editable") is True
    if isinstance(entry.get("git"), str):
        return ("editable" if editable else "git"), entry["git"]
    if isinstance(entry.get("path"), str):
        return ("editable" if editable else "directory"), entry["path"]
    if isinstance(entry.get("file"), str):
        file = entry["file"]
        return ("path" if file.lower().startswith("file:") else "url"), file
    return "registry", ""


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What ``pipenv install --dev`` installs into the venv ``target`` describes: the ``default`` and ``develop``
    entries (and the categories ``target.groups`` names) whose markers hold."""
    every = {category for package in lock.packages for category in package.categories}
    categories = DEFAULT_CATEGORIES | (every if ALL in target.groups else frozenset(target.groups))
    selected: dict[str, LockedPackage] = {}
    # a name pinned differently in two categories: ``default``'s pin (pipenv locks ``develop`` against it)
    for package in sorted(lock.packages, key=lambda p: "default" not in p.categories):
        if package.source in ("editable", "directory") and _PLACEHOLDER.fullmatch(package.name):
            continue  # older pipenv's made-up key for a local path: the distribution's name is not written
        if package.categories & categories and evaluate(package.marker, target):
            selected.setdefault(package.name, package)
    own = frozenset(name for name, package in selected.items() if package.source in ("editable", "directory"))
    return Selection(selected, own)


def pipfile_hashes(pipfile: Mapping[str, Any]) -> tuple[str, ...]:
    """The hashes pipenv has recorded for a Pipfile, the current one first: package names canonical (pipenv
    2026 and later); names as written (plette); names as written with the ``[pipenv]`` section hashed too
    (pipenv of 2022, whose plette did not yet leave it out). Raises ``TypeError``/``ValueError`` for content
    JSON cannot hold (a TOML date)."""
    def content(normalize: bool, skipped: frozenset[str]) -> str:
        def section(value: object) -> object:
            if normalize and isinstance(value, dict):
                return {canonicalize_name(key): item for key, item in value.items()}
            return value

        data: dict[str, Any] = {
            "_meta": {"sources": pipfile.get("source", _DEFAULT_SOURCE), "requires": pipfile.get("requires", {})},
            "default": section(pipfile.get("packages", {})),
            "develop": section(pipfile.get("dev-packages", {})),
        }
        for category, values in pipfile.items():
            if category in skipped or category in ("default", "develop"):
                continue
            data[category] = section(values)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    forms = (content(True, _NOT_CATEGORIES), content(False, _NOT_CATEGORIES),
             content(False, _NOT_CATEGORIES - {"pipenv"}))
    return tuple(dict.fromkeys(forms))


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """What ``pipenv verify`` says: the lock's ``_meta.hash.sha256`` is not the Pipfile's hash. Placed on a
    Pipfile entry the lock does not satisfy when there is one, else on the lock's first line."""
    path = lock.path.parent / "Pipfile"
    text = manifests(path)
    if text is None:
        return ()
    parsed = read_toml(path, text)
    if parsed.data is None:
        return ()  # the Pipfile reader reports why (VS206)
    meta = lock.data.get("_meta", {})
    recorded_hash = meta.get("hash") if isinstance(meta, dict) else None
    recorded = recorded_hash.get("sha256") if isinstance(recorded_hash, dict) else None
    try:
        current = pipfile_hashes(parsed.data)
    except (TypeError, ValueError):
        return ()
    if recorded in current:
        return ()
    first = range_of_line(lock.text, 0)
    if not isinstance(recorded, str) or not recorded:
        return (Staleness(f"{lock.path.name} records no Pipfile hash: run `pipenv lock`", lock.path, first),)
    message = (f"{lock.path.name} is outdated: the Pipfile changed since it was locked (hash {recorded[:12]}… "
               f"recorded, {current[0][:12]}… now); run `pipenv lock`")
    changed = changed_declaration(read_pipfile(path, parsed=parsed).declarations, lock)
    if changed is not None:
        declaration, why = changed
        return (Staleness(f"{message} — {why}", declaration.file, declaration.range),)
    return (Staleness(message, lock.path, first),)
