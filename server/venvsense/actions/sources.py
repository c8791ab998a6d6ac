"""Where an action's packages come from: only files inside the project, the development set a project's own
tool installs by default, and one entry per package.

- **Inside the project.** An install command is built only from declarations read from files whose real path
  (symbolic links followed) lies inside the project's real root. A requirements file, a glob match or an
  include that reaches outside (``-r ../secret.txt``, ``etclink -> /etc``) contributes nothing: no package
  names, no index options. A requirements file that includes such a file is not handed to the installer
  with ``-r`` (the installer would read the outside file itself); its own entries are listed instead.
- **The development set.** ``create`` installs the main dependencies plus what the project's own tool would
  install for a developer by default: PEP 735 groups named ``dev``/``test``/``tests`` (uv installs ``dev`` by
  default, and the groups ``[tool.uv] default-groups`` names), ``[tool.uv] dev-dependencies``, Poetry's groups
  not marked ``optional``, and ``requirements-dev*.txt``, ``requirements-test*.txt``, ``dev-requirements*.txt``,
  ``test-requirements*.txt``, ``requirements/dev*.txt``, ``requirements/test*.txt``.
- **Once per package.** Several declarations of one distribution (``asgiref`` in one file, ``asgiref>=3.2`` in
  another) become one requirement with the specifiers of both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvsense.check import ProjectReport
from venvsense.declarations import Declaration

DEV_GROUPS = ("dev", "test", "tests")
_DEV_FILE = re.compile(r"^(?:requirements[-_.](?:dev|test)[^/]*|(?:dev|test)[-_]requirements[^/]*)\.txt$",
                       re.IGNORECASE)
_DEV_IN_FOLDER = re.compile(r"^(?:dev|test)[^/]*\.txt$", re.IGNORECASE)


def real_root(report: ProjectReport) -> str:
    return os.path.realpath(report.project.root)


def inside(path: Path, root: str) -> bool:
    """Whether ``path``, links followed, is ``root`` (a real path) or below it."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class DevSet:
    """One set of the default development install: a PEP 735/uv/Poetry group (``group``) or a requirements file
    (``file``), and why ``create`` installs it."""

    group: str | None
    file: Path | None
    reason: str


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def default_groups(report: ProjectReport, pyproject: Mapping[str, Any],
                   pyproject_files: Sequence[Path]) -> list[DevSet]:
    """The groups of ``pyproject.toml`` a developer's install includes by default (see the module's text)."""
    declared = {canonicalize_name(d.group): d for d in report.declarations
                if d.file in pyproject_files and d.group != "main" and not d.declaration_set.startswith("extra")}
    found: dict[str, str] = {}  # canonical group name -> why
    pep735: set[str] = {canonicalize_name(str(k)) for k in _table(pyproject, "dependency-groups")}
    uv_defaults = _table(pyproject, "tool", "uv").get("default-groups")
    if uv_defaults == "all":
        for name in sorted(pep735):
            found.setdefault(name, "[tool.uv] default-groups = \"all\"")
    elif isinstance(uv_defaults, list):
        for written in uv_defaults:
            if isinstance(written, str):
                found.setdefault(canonicalize_name(written), "[tool.uv] default-groups names it")
    for dev in DEV_GROUPS:
        if dev in pep735:
            why = "uv installs the 'dev' group by default" if dev == "dev" else "a PEP 735 development group"
            found.setdefault(dev, why)
    if "dev-dependencies" in _table(pyproject, "tool", "uv"):
        found.setdefault("dev", "[tool.uv] dev-dependencies (uv installs them by default)")
    poetry = _table(pyproject, "tool", "poetry")
    if "dev-dependencies" in poetry:
        found.setdefault("dev", "Poetry's dev-dependencies (poetry install installs them by default)")
    for key, table in _table(poetry, "group").items():
        if isinstance(table, Mapping) and table.get("optional") is not True:
            found.setdefault(canonicalize_name(str(key)),
                             "a Poetry group not marked optional (poetry install installs it by default)")
    return [DevSet(name, None, why) for name, why in found.items() if name in declared]


def default_files(report: ProjectReport) -> list[DevSet]:
    """The development requirements files of the project (``requirements-dev*.txt`` and the like)."""
    root = report.project.root
    out = []
    for path in report.project.requirements:
        if path in report.project.main_requirements:
            continue
        parent = path.parent
        if parent == root and _DEV_FILE.match(path.name):
            out.append(DevSet(None, path, "a development requirements file"))
        elif parent == root / "requirements" and _DEV_IN_FOLDER.match(path.name):
            out.append(DevSet(None, path, "a development requirements file of requirements/"))
    return out


def merged(declarations: Iterable[Declaration],
           argument: Callable[[Declaration], str]) -> list[tuple[str, list[Declaration]]]:
    """One installer argument per distribution: declarations of one name (registry requirements) merged into
    one requirement with every specifier and extra; ``argument`` makes the argument of one declaration."""
    groups: dict[str, list[Declaration]] = {}
    for declaration in declarations:
        key = declaration.normalized if declaration.kind == "registry" and declaration.normalized else \
            argument(declaration)
        groups.setdefault(key, []).append(declaration)
    out: list[tuple[str, list[Declaration]]] = []
    for members in groups.values():
        out.append((_one_requirement(members) if len(members) > 1 else argument(members[0]), members))
    return list({arg: (arg, members) for arg, members in out}.values())


def _one_requirement(members: Sequence[Declaration]) -> str:
    """``asgiref`` and ``asgiref>=3.2`` → ``asgiref>=3.2`` (markers kept only when all say the same)."""
    specifiers = SpecifierSet()
    try:
        for member in members:
            specifiers &= SpecifierSet(member.specifier or "")
    except InvalidSpecifier:
        return members[0].requirement
    extras = sorted({extra for member in members for extra in member.extras})
    markers = {member.marker for member in members}
    marker = markers.pop() if len(markers) == 1 else None
    text = members[0].name + (f"[{','.join(extras)}]" if extras else "") + str(specifiers)
    return text + (f"; {marker}" if marker else "")
