"""What ``pip check`` would report for an environment, from metadata alone: unmet requirements (markers
evaluated for the venv's Python) and distributions whose wheel tags this platform does not support.

Caches: ``environment.wheel_tags`` (registered in ``venvsense.caches``) keeps each dist-info's ``WHEEL`` tags,
``environment.broken_dependencies`` the answer for one venv state (an ``Installed``) and Python;
``functools.lru_cache``s that never go stale: ``parse_requirement`` and ``_marker`` (keyed by the text) and
``_supported_tags`` (keyed by the Python version; the platform is the running one), owned by the process.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging import tags
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.caches import MemoryCache
from venvsense.environment.installed import Installed, site_packages_stamp
from venvsense.environment.metadata import Distribution, read_bytes
from venvsense.environment.pyvenv import VERSION_PATTERN

# What pip check reports for one venv state: the same ``Installed`` (``read_installed`` gives the same object
# while the venv is unchanged) and Python; every project of a workspace shares its venv's answer.
BROKEN: MemoryCache[tuple[int, str | None], tuple[Installed, tuple[BrokenDependency, ...]]] = MemoryCache(
    name="environment.broken_dependencies",
    key="the identity of an Installed (kept in the entry, so an id is never reused for another) and a Python",
    invalidation="a changed venv is read into a new Installed: its id is a new key",
    owner="process",
    limit=8,
)

# A dist-info's wheel tags (in a 1-tuple: ``None``, no WHEEL file, is an answer too).
WHEEL_TAGS: MemoryCache[tuple[Path, int], tuple[frozenset[str] | None]] = MemoryCache(
    name="environment.wheel_tags",
    key="a dist-info folder and the mtime of the site-packages folder holding it (as last listed)",
    invalidation="an install or uninstall changes the site-packages folder's mtime, hence the key",
    owner="the process (the language server's lifetime; one CLI run)",
)


@dataclass(frozen=True)
class BrokenDependency:
    """One line of ``pip check``: an installed distribution's requirement that is unmet.

    ``missing`` is true when the required distribution is not installed at all; otherwise the installed
    version (``installed_version``) does not satisfy ``requirement``. ``unsupported`` marks pip's third
    kind of line (the distribution's wheel tags do not match this platform): then ``requirement`` is
    ``""`` and ``installed_version`` is the distribution's own version. ``message`` is pip's wording.
    """

    distribution: str
    version: str
    requirement: str
    missing: bool
    installed_version: str | None
    message: str
    unsupported: bool = False


def marker_environment(python_version: str | None) -> dict[str, str]:
    """PEP 508 marker values for the venv: its Python version, the running platform for the rest."""
    environment = {key: str(value) for key, value in default_environment().items()}
    match = VERSION_PATTERN.match(python_version or "")
    if match:
        major, minor, micro, pre = match.groups()
        full = f"{major}.{minor}.{micro or 0}{pre or ''}"
        environment["python_version"] = f"{major}.{minor}"
        environment["python_full_version"] = full
        if environment.get("implementation_name") == "cpython":
            environment["implementation_version"] = full
    environment["extra"] = ""
    return environment


def broken_dependencies(installed: Installed, python_version: str | None) -> list[BrokenDependency]:
    """What ``pip check`` run with the venv's interpreter reports, computed from metadata alone.

    Mirrors pip (``operations/check.py``): a requirement counts when it has no marker or its marker is
    true with ``extra == ""`` (so requirements of extras are never checked, even when another
    distribution asks for the extra); specifiers accept pre-releases; a distribution whose requirements
    cannot be parsed is left out of the set, as pip leaves it out. Distributions whose metadata has a
    ``problem`` are left out too (pip cannot read them either). Wheel tags are compared with the tags a
    CPython of ``python_version`` on this platform supports.
    """
    key = (id(installed), python_version)
    cached = BROKEN.get(key)
    if cached is not None and cached[0] is installed:
        return list(cached[1])
    try:
        found = _broken_dependencies(installed, python_version)
    except Exception:  # total: a packaging edge case must not break the analysis
        found = []
    BROKEN.put(key, (installed, tuple(found)))
    return found


def _broken_dependencies(installed: Installed, python_version: str | None) -> list[BrokenDependency]:
    environment = marker_environment(python_version)
    evaluated: dict[int, bool] = {}  # id(marker) → its value: one Marker object per marker text (``_marker``)
    package_set: dict[str, tuple[Version, list[Requirement], Distribution]] = {}
    for dist in installed.distributions.values():
        if dist.problem is not None:
            continue
        try:
            version = Version(dist.version)
            package_set[dist.normalized] = (version, _dependencies(dist, environment, evaluated), dist)
        except ValueError:  # InvalidVersion, InvalidRequirement, UndefinedEnvironmentName
            continue
    result: list[BrokenDependency] = []
    conflicts: list[BrokenDependency] = []
    for name, (version, requirements, _dist) in package_set.items():
        wanted: str
        missing: set[tuple[str, str]] = set()
        conflicting: set[tuple[str, str, str]] = set()
        for requirement in requirements:
            wanted = canonicalize_name(requirement.name)
            if wanted not in package_set:
                missing.add((wanted, str(requirement)))
                continue
            have = package_set[wanted][0]
            if not requirement.specifier.contains(have, prereleases=True):
                conflicting.add((wanted, str(have), str(requirement)))
        for wanted, text in sorted(missing, key=lambda m: f"{m[0]}{m[1]}"):
            result.append(BrokenDependency(name, str(version), text, True, None,
                                           f"{name} {version} requires {wanted}, which is not installed."))
        for wanted, have_text, text in sorted(conflicting, key=str):
            conflicts.append(BrokenDependency(
                name, str(version), text, False, have_text,
                f"{name} {version} has requirement {text}, but you have {wanted} {have_text}."))
    result.extend(conflicts)
    supported = _supported_tags(python_version)
    if supported is not None:
        for dist in installed.distributions.values():
            if dist.problem is not None or dist.normalized in ("python", "wsgiref", "argparse"):
                continue
            tags = _wheel_tags(dist)
            if tags is not None and tags.isdisjoint(supported):
                try:
                    shown = str(Version(dist.version))
                except InvalidVersion:
                    continue
                result.append(BrokenDependency(dist.normalized, shown, "", False, shown,
                                               f"{dist.name} {shown} is not supported on this platform",
                                               unsupported=True))
    return result


def _dependencies(dist: Distribution, environment: dict[str, str],
                  evaluated: dict[int, bool] | None = None) -> list[Requirement]:
    """The requirements pip's ``iter_dependencies()`` yields; raises ``ValueError`` where pip would.
    ``evaluated``: the markers already evaluated for ``environment``, by identity (the caller keeps the
    requirements, hence the markers, alive while it uses the dict)."""
    requirements = []
    known = {} if evaluated is None else evaluated
    for text in dist.requires:
        requirement = parse_requirement(text)
        if requirement is None:
            raise ValueError(f"invalid requirement {text!r}")
        marker = requirement.marker
        if marker is not None:
            value = known.get(id(marker))
            if value is None:
                value = known[id(marker)] = marker.evaluate(environment)
            if not value:
                continue
        requirements.append(requirement)
    return requirements


# `name [extras] specifiers ; marker` without a URL: how nearly every Requires-Dist is written
_SIMPLE_REQUIREMENT = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)[ \t]*(?:\[([^\]]*)\])?[ \t]*(\([^;@()]*\)|[^;@()]*)"
    r"[ \t]*(?:;[ \t]*(.*))?", re.DOTALL)


@functools.lru_cache(maxsize=16384)
def parse_requirement(text: str) -> Requirement | None:
    """A ``Requires-Dist`` value as ``packaging`` reads it (``None`` when it is invalid), parsed once per text in
    the process: parsing dominates ``broken_dependencies`` and the reverse dependencies, and the same strings
    come back on every check. The common form (no URL) is split with one regular expression and its marker
    parsed once per marker text; anything else, or anything the split gets wrong, goes through ``packaging``."""
    text = text.strip()
    simple = _SIMPLE_REQUIREMENT.fullmatch(text)
    if simple is not None and simple.group(4) != "":
        name, extras, specifier, marker = simple.groups()
        specifier = specifier.strip()
        if specifier.startswith("("):
            specifier = specifier[1:-1]
        try:
            made = Requirement.__new__(Requirement)
            made.name = name
            made.url = None
            made.extras = {extra.strip() for extra in extras.split(",") if extra.strip()} if extras else set()
            made.specifier = SpecifierSet(specifier)
            made.marker = _marker(marker.strip()) if marker and marker.strip() else None
            return made
        except ValueError:  # InvalidSpecifier, InvalidMarker: packaging says what is wrong
            pass
    try:
        return Requirement(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _marker(text: str) -> Marker:
    return Marker(text)


@functools.lru_cache(maxsize=16)
def _supported_tags(python_version: str | None) -> frozenset[str] | None:
    """Tags a CPython of that version accepts on this platform (``None`` when that cannot be known)."""
    if sys.implementation.name != "cpython":
        return None
    match = VERSION_PATTERN.match(python_version or "")
    version = (int(match.group(1)), int(match.group(2))) if match else sys.version_info[:2]
    interpreter = f"cp{version[0]}{version[1]}"
    found = [*tags.cpython_tags(python_version=version), *tags.compatible_tags(version, interpreter)]
    return frozenset(str(tag) for tag in found)


def _wheel_tags(dist: Distribution) -> frozenset[str] | None:
    """The ``Tag`` lines of a dist-info's ``WHEEL`` file (``None`` when there is none)."""
    path = dist.metadata_path
    if not path.name.endswith(".dist-info"):
        return None
    stamped = (path, site_packages_stamp(path))
    cached = WHEEL_TAGS.get(stamped)
    if cached is not None:
        return cached[0]
    data = read_bytes(path / "WHEEL")
    found: frozenset[str] | None = None
    if data is not None:
        values: set[str] = set()
        for line in data.decode("utf-8", errors="replace").splitlines():
            key, separator, value = line.partition(":")
            if separator and key.strip().lower() == "tag":
                try:
                    values.update(str(tag) for tag in tags.parse_tag(value.strip()))
                except (ValueError, IndexError):
                    continue
        found = frozenset(values)
    WHEEL_TAGS.put(stamped, (found,))
    return found
