"""The standard library's top-level module names for a target Python version.

Backed by the maintained ``stdlib-list`` package (one list per X.Y, derived from the CPython docs), so the
answer is for the venv's Python, not for the interpreter venvsense happens to run on.

Caches: ``stdlib_modules`` and ``_for_listed`` are ``lru_cache``s keyed by the version asked for (and whether it
is the running one), never stale (the lists ship with the installed package), owned by the process. ``usage`` compares
the answer by identity to reuse a previous check: an evicted entry only costs that reuse.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from stdlib_list import short_versions, stdlib_list

# Names every CPython of the version family ships but that the docs-derived lists leave out.
# ``test`` is the regression-test package (documented as "test — Regression tests package for Python");
# ``__main__`` is always importable. A project's own ``test/`` package shadows the stdlib one at run time,
# so callers classify first-party names before stdlib ones (see ``imports``).
_ALWAYS = frozenset({"__main__", "test"})

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)")


def _parse(version: str) -> tuple[int, int] | None:
    match = _VERSION.match(version)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def _listed() -> list[tuple[int, int]]:
    parsed = (_parse(v) for v in short_versions)
    return sorted(v for v in parsed if v is not None)


def nearest_listed_version(python_version: str) -> str:
    """The ``stdlib-list`` version used for ``python_version`` ("3.11.7" → "3.11").

    An X.Y the package does not list maps to the closest listed one of the same major version at or
    below it (a newer Python than the package knows gets the newest list), else to the oldest one of that
    major version.
    """
    listed = _listed()
    target = _parse(python_version)
    if target is None:
        raise ValueError(f"not a Python version: {python_version!r}")
    same_major = [v for v in listed if v[0] == target[0]] or listed
    at_or_below = [v for v in same_major if v <= target]
    chosen = at_or_below[-1] if at_or_below else same_major[0]
    return f"{chosen[0]}.{chosen[1]}"


def _running() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@lru_cache(maxsize=32)
def _for_listed(version: str, running: bool) -> frozenset[str]:
    names = {name.split(".", 1)[0] for name in stdlib_list(version)}
    names |= _ALWAYS
    if running:
        # The running interpreter knows its own modules exactly (platform-specific ones included).
        names |= set(sys.stdlib_module_names)
    return frozenset(names)


@lru_cache(maxsize=64)
def stdlib_modules(python_version: str | None = None) -> frozenset[str]:
    """The top-level stdlib module names of Python ``python_version`` ("X.Y" or "X.Y.Z").

    ``None``, or a version string that cannot be read, means the running interpreter's version; for the
    running X.Y the list is completed with ``sys.stdlib_module_names``. Results are cached.
    """
    running = _running()
    target = _parse(python_version) if python_version is not None else None
    wanted = running if target is None else f"{target[0]}.{target[1]}"
    return _for_listed(nearest_listed_version(wanted), wanted == running)


def is_stdlib(top: str, python_version: str | None = None) -> bool:
    """Whether ``top`` (a top-level name; a dotted name is reduced to its first part) is in the stdlib."""
    return top.split(".", 1)[0] in stdlib_modules(python_version)


# Modules that exist only for type checkers: typeshed's private stub-only modules of the standard library
# (``from _typeshed import StrPath`` under ``if TYPE_CHECKING:``). No distribution provides them at run time.
TYPE_CHECKER_ONLY = frozenset({"_typeshed"})


def _major_minor(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@lru_cache(maxsize=64)
def supported_stdlib(python_version: str | None, requires_python: tuple[str, ...] = ()) -> frozenset[str]:
    """The top-level names that are stdlib in *some* Python the project supports: the target's
    (``python_version``, as ``stdlib_modules``) and every listed X.Y that ``requires_python`` allows (a module
    removed in a newer Python, or added in one, is still the standard library's, not a missing distribution).
    Without a readable ``requires_python`` it is the target's list alone. Results are cached (one object per
    argument, so callers can compare by identity)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    names = stdlib_modules(python_version)
    allowed: list[SpecifierSet] = []
    for spec in requires_python:
        try:
            allowed.append(SpecifierSet(spec))
        except InvalidSpecifier:
            continue
    if not allowed:
        return names
    supported = set(names)
    for listed in _listed():
        text = _major_minor(listed)
        if all(s.contains(f"{text}.0") or s.contains(f"{text}.99") for s in allowed):
            supported |= _for_listed(text, False)
    return frozenset(supported) if len(supported) != len(names) else names


@lru_cache(maxsize=1)
def python2_modules() -> frozenset[str]:
    """The top-level stdlib names of Python 2.7 that Python 3 no longer has (``urllib2``, ``cPickle``,
    ``BaseHTTPServer``, ``ConfigParser``…): what a Python 2 fallback imports."""
    python3 = set().union(*(_for_listed(_major_minor(v), False) for v in _listed() if v[0] == 3))
    return frozenset(_for_listed("2.7", False) - python3)
