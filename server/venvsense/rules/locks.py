"""The lock rules: VS401 lock-outdated, VS402 not-synced, VS403 not-in-lock — the project's lock file against its
manifests (what ``uv lock --check`` says) and against its venv (what ``uv sync --check`` would change).

A lock that cannot be read is one VS206 at the place that is wrong, and no other lock finding (nothing can be
concluded from half a lock). VS402 compares each package the lock selects for this venv (its markers evaluated
for the venv's Python and platform, the groups its tool installs by default) with what is installed: missing,
another version, installed editable where the lock has an index package (and the reverse), or — for the project's
own editable install made by uv — built before its build inputs last changed. It stands on the manifest's
declaration of a direct dependency, else on the package's entry in the lock. VS403 is everything else installed
(uv sync removes it), except the project itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.config import Settings
from venvsense.declarations import Declaration
from venvsense.declarations.locks import Lock, LockedPackage, Selection, Target, outdated, select
from venvsense.environment import Distribution, Environment, Installed, marker_environment
from venvsense.findings import Finding, make
from venvsense.model import ProjectModel
from venvsense.rules.environment import venv_label
from venvsense.text import START, Range

# the names the fix policy offers for the lock findings (``fixes.py``; the actions layer runs them)
UPDATE_LOCK_TITLE = "Update the lock"
SYNC_TITLE = "Sync .venv with {lock}"
# uv's default cache keys for a local project's build (``[tool.uv] cache-keys`` unset): files and folders
_UV_CACHE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


LockState = Literal["synced", "out-of-sync", "outdated"]


def lock_state(lock: Lock | None, findings: Iterable[Finding]) -> tuple[LockState, int] | None:
    """A project's lock as a status shows it: ``outdated`` (a VS401), else ``out-of-sync`` (VS402/VS403), else
    ``synced``, with how many packages are out of sync ("3 out of sync with uv.lock"); ``None`` without a lock or
    for one that cannot be read. ``findings``: the report's (after settings: a code turned off does not count)."""
    if lock is None or lock.error is not None:
        return None
    codes: list[str] = []
    packages: set[str] = set()
    for finding in findings:
        if finding.code in ("VS401", "VS402", "VS403"):
            codes.append(finding.code)
            if finding.code != "VS401" and finding.package:
                packages.add(finding.package)
    state: LockState = "outdated" if "VS401" in codes else "out-of-sync" if packages else "synced"
    return state, len(packages)


@dataclass
class LockFindings:
    """The lock rules' findings, and the packages VS402 already reports (their VS201/VS202 would say it twice)."""

    findings: list[Finding] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)


def lock_findings(model: ProjectModel) -> LockFindings:
    """VS401–VS403 (and VS206 for a lock that cannot be read) for the project's lock, if it has one."""
    result = LockFindings()
    lock = model.lock
    if lock is None:
        return result
    if lock.error is not None:
        result.findings.append(make("VS206", lock.error.message, lock.path, lock.error.range))
        return result
    text_of = _manifest_text(model.buffers)
    for staleness in outdated(lock, text_of):
        result.findings.append(make("VS401", f"{staleness.message} (uv lock would update it)" if lock.kind == "uv"
                                    else staleness.message, staleness.file, staleness.range, lock=str(lock.path),
                                    tool=lock.kind))
    if model.environment is None or model.installed is None or model.environment.problems:
        return result
    target = Target(marker_environment(model.environment.python), frozenset(model.settings.lock_extras),
                    frozenset(model.settings.lock_groups))
    selection = select(lock, target, text_of)
    if selection.error is not None:
        return result
    _compare(model, lock, selection, model.environment, model.installed, result)
    return result


def selected_names(lock: Lock, environment: Environment | None, buffers: Mapping[Path, str],
                   settings: Settings | None = None) -> frozenset[str] | None:
    """The names the lock selects for ``environment`` (what its tool would install there, with the extras and
    groups ``settings`` add), ``None`` when that cannot be told (no usable venv, a lock that cannot be read)."""
    if environment is None or environment.problems or lock.error is not None:
        return None
    settings = settings or Settings()
    target = Target(marker_environment(environment.python), frozenset(settings.lock_extras),
                    frozenset(settings.lock_groups))
    selection = select(lock, target, _manifest_text(buffers))
    return None if selection.error is not None else frozenset(selection.packages)


def _manifest_text(buffers: Mapping[Path, str]) -> Any:
    def text_of(path: Path) -> str | None:
        if path in buffers:
            return buffers[path]
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError):
            return None

    return text_of


# what pip-sync never uninstalls (pip-tools' ``PACKAGES_TO_IGNORE``): a compiled file's venv keeps its installers
_PIP_SYNC_KEEPS = frozenset({"-markerlib", "pip", "pip-tools", "pip-review", "pkg-resources", "setuptools", "wheel",
                             "distribute"})


def _compare(model: ProjectModel, lock: Lock, selection: Selection, environment: Environment,
             installed: Installed, result: LockFindings) -> None:
    direct = _direct_declarations(model.declarations)
    label = venv_label(environment, model.root)
    lines: list[str] | None = None  # the lock's lines, split once (a uv.lock of a workspace is 10,000 lines)
    for name, package in sorted(selection.packages.items()):
        distribution = installed.distributions.get(name)
        problem = _out_of_sync(package, distribution, name in selection.own, lock)
        if problem is None:
            continue
        declaration = direct.get(name)
        if declaration is not None:
            file, where = declaration.file, declaration.range
        else:
            if lines is None:
                lines = lock.text.splitlines()
            file, where = lock.path, _entry_range(lines, package)
        locked = package.version or "(no version)"
        result.findings.append(make(
            "VS402", f"{problem}; {lock.path.name} has {package.name} {locked} (uv sync would change it in {label})"
            if lock.kind == "uv" else
            f"{problem}; {lock.path.name} has {package.name} {locked} (pip-sync would change it in {label})"
            if lock.kind == "compiled" else f"{problem}; {lock.path.name} has {package.name} {locked}",
            file, where, package=name, locked=package.version,
            installed=distribution.version if distribution is not None else None, lock=str(lock.path)))
        result.covered.add(name)
    # the project itself is never a stray install (``uv sync --no-install-project``, a ``package = false`` project
    # installed by hand); a workspace member the sync does not select is, as uv removes it
    itself = {canonicalize_name(name) for name in (model.name, _root_name(lock)) if name}
    kept = _PIP_SYNC_KEEPS if lock.kind == "compiled" else frozenset()
    first: Range | None = None  # (split the lock's text once, not once per stray install)
    for name, distribution in sorted(installed.distributions.items()):
        if name in selection.packages or name in itself or name in kept:
            continue
        if first is None:
            first = _first_line(lock)
        result.findings.append(make(
            "VS403", f"{distribution.name} {distribution.version} is installed in {label} but {lock.path.name} does "
            f"not select it for this venv (a sync would remove it)", lock.path, first, package=name,
            installed=distribution.version, lock=str(lock.path)))


def _root_name(lock: Lock) -> str | None:
    return next((p.name for p in lock.packages if p.source in ("editable", "virtual", "directory")
                 and p.location in (".", "")), None)


def _out_of_sync(package: LockedPackage, distribution: Distribution | None, own: bool, lock: Lock) -> str | None:
    """Why the installed ``distribution`` is not what the lock has, ``None`` when it is."""
    if distribution is None:
        return f"{package.name} is not installed"
    if package.version is not None and not _same_version(distribution.version, package.version):
        return f"{distribution.name} {distribution.version} is installed"
    if package.source == "editable" and not distribution.editable:
        return f"{distribution.name} is installed, but not editable"
    if package.source == "registry" and distribution.editable:
        return f"{distribution.name} is installed editable, not from the index"
    if own and lock.kind == "uv" and package.source in ("editable", "directory"):
        changed = _rebuild_reason(distribution, lock.path.parent / package.location)
        if changed is not None:
            return f"{distribution.name} was built before {changed} last changed"
    return None


def _same_version(installed: str, locked: str) -> bool:
    try:
        return Version(installed) == Version(locked)
    except InvalidVersion:
        return installed == locked


def _rebuild_reason(distribution: Distribution, folder: Path) -> str | None:
    """For a local project uv installed: which of its build inputs changed since (uv compares the
    ``uv_cache.json`` it wrote into the dist-info with the inputs' change times and folders, and rebuilds on any
    difference); ``None`` when none did, or when this cannot be told (not installed by uv, ``[tool.uv]
    cache-keys`` configured)."""
    try:
        with open(distribution.metadata_path / "uv_cache.json", encoding="utf-8") as handle:
            stored = json.load(handle)
        with open(folder / "pyproject.toml", "rb") as handle:
            if b"cache-keys" in handle.read():
                return None
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict):
        return None
    newest: tuple[int, str] | None = None
    for name in _UV_CACHE_FILES:
        try:
            changed = os.stat(folder / name).st_ctime_ns
        except OSError:
            continue
        if newest is None or changed > newest[0]:
            newest = (changed, name)
    recorded = _nanoseconds(stored.get("timestamp"))
    if newest is not None and recorded is not None and newest[0] != recorded:
        return newest[1]
    directories = stored.get("directories")
    for name, value in (directories.items() if isinstance(directories, dict) else ()):
        # uv records a folder's creation time (which Python cannot read on Linux, and which nothing but
        # re-creating the folder changes), else its inode, or ``null`` for a folder that did not exist
        try:
            inode: int | None = os.stat(folder / str(name)).st_ino
        except OSError:
            inode = None
        if (value is None) != (inode is None) or (isinstance(value, int) and value != inode):
            return f"{name}/"
    return None


def _nanoseconds(value: object) -> int | None:
    if not isinstance(value, dict):
        return None
    seconds, nanos = value.get("secs_since_epoch"), value.get("nanos_since_epoch")
    if not isinstance(seconds, int) or not isinstance(nanos, int):
        return None
    return seconds * 1_000_000_000 + nanos


def _direct_declarations(declarations: Iterable[Declaration]) -> dict[str, Declaration]:
    """The manifest declaration each name is first declared by (not a compiled file's transitive pins)."""
    found: dict[str, Declaration] = {}
    for declaration in declarations:
        if declaration.normalized and not declaration.transitive:
            found.setdefault(declaration.normalized, declaration)
    return found


def _entry_range(lines: list[str], package: LockedPackage) -> Range:
    if 0 <= package.line < len(lines):
        return Range.line_of(lines[package.line], package.line)
    return START


def _first_line(lock: Lock) -> Range:
    lines = lock.text.splitlines()
    return Range.line_of(lines[0], 0) if lines else START
