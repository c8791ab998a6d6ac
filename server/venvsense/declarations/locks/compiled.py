"""A requirements file compiled by ``pip-compile`` or ``uv pip compile`` (its header, or ``# via`` annotations) read as
a lock: its ``name==version`` pins are the packages, what ``pip-sync`` installs is the selection, and the source it
was compiled from (a ``.in`` file, or ``pyproject.toml``) says whether it is outdated.

* ``read``: every pin (``name[extras]==version ; marker``, ``--hash`` options and ``\\`` continuations allowed),
  ``-e``/URL lines as local or remote sources, at its 0-based line.
* ``select``: what ``pip-sync`` installs when given every compiled file of the folder (``requirements.txt`` beside
  ``dev-requirements.txt``; and those of a ``requirements/`` folder under it): each pin whose marker holds. A
  package installed for one of them is not "not in the lock" (VS403) because another one lacks it.
* ``outdated``: what ``pip-compile --dry-run`` would change, read statically: a requirement of the source that
  no pin satisfies (a name added, a specifier raised), and a pin made only for the source (``# via -r x.in``) that
  the source no longer asks for. The source is the one the header's command names, else ``<name>.in`` beside it;
  without one, the lock is never called outdated.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venvsense.declarations.locks.model import (
    Lock,
    LockedPackage,
    ManifestText,
    Selection,
    SourceKind,
    Staleness,
    Target,
)
from venvsense.declarations.locks.shared import evaluate, range_of_line
from venvsense.declarations.requirements.compiled import is_compiled, via_items

__all__ = ["compiled_siblings", "outdated", "read", "select"]

_HASH = re.compile(r"(?:^|\s)--hash[= ]\S+")
_OPTION_WITH_VALUE = re.compile(
    r"^(?:-[ic]|--index-url|--extra-index-url|--find-links|-f|--constraint|-r|--requirement)(?:[ =]|$)")
_COMMAND = re.compile(r"^#\s+((?:pip-compile|uv pip compile)\b.*)$", re.M)
_SOURCE_SUFFIXES = (".in", ".txt", ".toml", ".cfg", ".py")
_MAX_SIBLINGS = 64


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """The file's logical lines (``\\`` continuations joined) with the 0-based line each starts on."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines()):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        out.append((start, " ".join(pending)))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def _without_comment(line: str) -> str:
    # a comment starts at `#` preceded by whitespace (or at the start): `#egg=` in a URL is no comment
    match = re.search(r"(?:^|\s)#", line)
    return line[: match.start()] if match else line


def read(path: Path, text: str) -> Lock:
    """The compiled file's pins as a ``Lock``."""
    packages: list[LockedPackage] = []
    for line, logical in _logical_lines(text):
        content = _HASH.sub(" ", _without_comment(logical)).strip()
        if not content or _OPTION_WITH_VALUE.match(content):
            continue
        editable = content.startswith(("-e ", "--editable ", "--editable="))
        if editable:
            content = content.split(None, 1)[1] if " " in content else content.partition("=")[2]
            content = content.strip()
        elif content.startswith("-"):
            continue
        package = _package(content, line, editable)
        if package is not None:
            packages.append(package)
    return Lock(path, "compiled", tuple(packages), text=text)


def _package(content: str, line: int, editable: bool) -> LockedPackage | None:
    try:
        requirement = Requirement(content)
    except InvalidRequirement:
        name = _egg_name(content)
        if name is None:
            return None  # a path or URL that names no distribution: nothing venvsense can compare
        source: SourceKind = "editable" if editable else ("path" if "://" not in content else "url")
        return LockedPackage(canonicalize_name(name), None, source, line, location=content)
    version = None
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and "*" not in specifiers[0].version:
        version = specifiers[0].version
    if requirement.url:
        source = "editable" if editable else ("git" if requirement.url.startswith("git+") else "url")
        return LockedPackage(canonicalize_name(requirement.name), version, source, line, requirement.marker,
                             location=requirement.url)
    return LockedPackage(canonicalize_name(requirement.name), version, "editable" if editable else "registry", line,
                         requirement.marker)


def _egg_name(content: str) -> str | None:
    match = re.search(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)", content)
    return match.group(1) if match else None


# --- what pip-sync installs ----------------------------------------------------------------------------------


def compiled_siblings(lock: Lock, manifests: ManifestText) -> list[tuple[Path, str]]:
    """The compiled requirements files ``pip-sync`` would be given with ``lock``'s: those of its folder and of a
    ``requirements/`` folder in it (their texts, editor buffers included)."""
    folder = lock.path.parent
    found: list[tuple[Path, str]] = []
    for where in (folder, folder / "requirements"):
        try:
            names = sorted(entry.name for entry in os.scandir(where)
                           if entry.name.endswith(".txt") and entry.is_file(follow_symlinks=False))
        except OSError:
            continue
        for name in names[:_MAX_SIBLINGS]:
            path = where / name
            if path == lock.path:
                continue
            text = manifests(path)
            if text is not None and is_compiled(text):
                found.append((path, text))
    return found


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What ``pip-sync`` installs into the venv ``target`` describes, given every compiled file of the folder:
    each pin whose marker holds (the lock's own pin first when two files pin one name)."""
    selected: dict[str, LockedPackage] = {}
    others = [read(path, text) for path, text in compiled_siblings(lock, manifests)]
    for each in (lock, *others):
        for package in each.packages:
            if evaluate(package.marker, target):
                selected.setdefault(package.name, package)
    own = frozenset(name for name, package in selected.items()
                    if package.source == "editable" and package.location.rstrip("/") in (".", "file:.", "file:./"))
    return Selection(selected, own)


# --- outdated ----------------------------------------------------------------------------------------------


def _source(lock: Lock) -> Path | None:
    """The file the lock was compiled from: the first file argument of the header's command, else ``<stem>.in``."""
    match = _COMMAND.search(lock.text)
    if match is not None:
        try:
            words = shlex.split(match.group(1))
        except ValueError:
            words = []
        skip_next = False
        for word in words[1:]:
            if skip_next:
                skip_next = False
                continue
            if word in ("-o", "--output-file", "-c", "--constraint", "--python-version", "-p", "--python"):
                skip_next = True
                continue
            if not word.startswith("-") and word.endswith(_SOURCE_SUFFIXES) and word != lock.path.name:
                candidate = lock.path.parent / word
                if candidate.is_file():
                    return candidate
    sibling = lock.path.with_suffix(".in")
    return sibling if sibling.is_file() else None


def _source_requirements(source: Path, text: str) -> list[tuple[int, Requirement]]:
    if source.suffix != ".in":
        return []  # (pyproject.toml, setup.cfg: their own readers judge them; compared here by the .in form only)
    found: list[tuple[int, Requirement]] = []
    for line, logical in _logical_lines(text):
        content = _HASH.sub(" ", _without_comment(logical)).strip()
        if not content or content.startswith("-"):
            continue
        try:
            found.append((line, Requirement(content)))
        except InvalidRequirement:
            continue
    return found


def _via_source_only(text: str, package: LockedPackage, source_name: str) -> bool:
    """Whether the pin's ``# via`` annotation names only the source file (``-r requirements.in``)."""
    lines = text.splitlines()
    last = package.line
    while last + 1 < len(lines) and lines[last].rstrip().endswith("\\"):
        last += 1  # the pin's own continuation lines (hashes)
    comment = lines[last][lines[last].find(" #") + 1:] if " #" in lines[last] else ""
    items = via_items(comment, last, lines)
    return bool(items) and all(item.startswith("-r ") and item[3:].strip().endswith(source_name)
                               for item in items or ())


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """What ``pip-compile`` would change compiling the source again (see the module's text)."""
    source = _source(lock)
    text = manifests(source) if source is not None else None
    if source is None or text is None:
        return ()
    asked = _source_requirements(source, text)
    if not asked and source.suffix != ".in":
        return ()
    pins = {package.name: package for package in lock.packages}
    found: list[Staleness] = []
    for line, requirement in asked:
        name = canonicalize_name(requirement.name)
        pin = pins.get(name)
        where = range_of_line(text, line)
        if pin is None:
            found.append(Staleness(f"{lock.path.name} is out of date: {source.name} asks for '{requirement}', which it "
                                   "does not pin (pip-compile would add it)", source, where))
        elif pin.version is not None and requirement.specifier and not requirement.specifier.contains(
                pin.version, prereleases=True):
            found.append(Staleness(f"{lock.path.name} is out of date: {source.name} asks for '{requirement}' and it "
                                   f"pins {pin.name} {pin.version} (pip-compile would change it)", source, where))
    asked_names = {canonicalize_name(requirement.name) for _, requirement in asked}
    for package in lock.packages:
        if package.name not in asked_names and _via_source_only(lock.text, package, source.name):
            found.append(Staleness(f"{lock.path.name} is out of date: it pins {package.name} for {source.name}, which "
                                   "no longer asks for it (pip-compile would remove it)", lock.path,
                                   range_of_line(lock.text, package.line)))
    return tuple(found) if found else ()

