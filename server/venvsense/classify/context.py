"""What a classification knows about the project besides the import itself, computed once per check: local
code anywhere in the project tree, the build system's modules (for ``setup.py``), and which gates hold for the
venv's Python and platform."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.environment import Installed
from venvsense.firstparty import is_import_name
from venvsense.imports.gates import gate_holds
from venvsense.mapping import ModuleIndex
from venvsense.tomlfile import TomlFile, read_toml

# what an implied or declared setuptools provides to a build script
_SETUPTOOLS_MODULES = frozenset({"setuptools", "pkg_resources", "distutils", "_distutils_hack"})
SETUPTOOLS_MODULES = _SETUPTOOLS_MODULES
BUILD_SCRIPTS = frozenset({"setup.py"})
_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?")


def local_candidates(root: Path, files: Iterable[Path]) -> frozenset[str]:
    """Every top-level name that could be imported from a folder of the project put on ``sys.path`` (test
    apps a ``conftest.py`` adds, a package importing its own subpackages absolutely): the names of the
    folders holding the project's Python files and of the files themselves, anywhere under ``root`` (the
    walk's files: no venv, skipped folder or nested project) — but only those in a folder that is not itself a
    regular package (no ``__init__.py``): ``rich/emoji.py`` is ``rich.emoji``, never a top-level ``emoji``
    (nobody puts a package's own folder on ``sys.path``; a script importing its neighbours is
    ``firstparty.ScriptFolders``'s)."""
    top = os.fspath(root)
    prefix = len(top) if top.endswith(os.sep) else len(top) + 1
    relative = [os.fspath(path)[prefix:].rpartition(os.sep) for path in files]
    packages = {folder for folder, _, name in relative if name == "__init__.py" and folder}
    names: set[str] = set()
    folders_seen: set[str] = set()
    for folder, _, name in relative:
        if name.endswith(".ipynb"):  # a notebook is no module: nothing imports it
            continue
        if folder not in packages:
            names.add(name[:-3] if name.endswith(".py") else name.rpartition(".")[0])
        while folder and folder not in folders_seen:
            folders_seen.add(folder)
            folder, _, part = folder.rpartition(os.sep)
            if folder not in packages:
                names.add(part)
    return frozenset(n for n in names if is_import_name(n))


def local_modules(candidates: frozenset[str], installed: Installed | None,
                  declared: frozenset[str]) -> frozenset[str]:
    """The local candidates that are local code: not a name an installed distribution provides, nor one of
    ``declared`` (the local names a declared distribution provides, ``declared_local``): there the venv's
    module is what the project means."""
    taken: set[str] = set(declared)
    if installed is not None:
        for dist in installed.distributions.values():
            taken.update(module.partition(".")[0] for module in dist.modules)
    return candidates - taken


def declared_local(candidates: frozenset[str], index: ModuleIndex, declared: Iterable[str]) -> frozenset[str]:
    """The local candidates that a declared distribution (normalized names) provides, by the module index
    (installed metadata, the curated table, the name itself)."""
    found: set[str] = set()
    for name in declared:
        for module in (*index.distribution_modules(name), name.replace("-", "_")):
            top = module.partition(".")[0]
            if top in candidates:
                found.add(top)
    return frozenset(found)


def build_modules(root: Path, pyproject_toml: TomlFile | None) -> frozenset[str]:
    """The top-level modules a build script (``setup.py``) may import from its build environment: those of
    ``[build-system] requires`` (by the requirement's import name; setuptools brings ``pkg_resources`` and
    ``distutils``), or setuptools' when the project has a ``setup.py`` and no ``[build-system]`` (implied)."""
    if pyproject_toml is None and (root / "pyproject.toml").is_file():
        pyproject_toml = read_toml(root / "pyproject.toml")
    build_system = pyproject_toml.table("build-system") if pyproject_toml is not None else {}
    requires = build_system.get("requires")
    if not build_system or not isinstance(requires, list):
        return _SETUPTOOLS_MODULES if (root / "setup.py").is_file() else frozenset()
    from packaging.requirements import InvalidRequirement, Requirement  # only with [build-system] requires

    names: set[str] = set()
    for written in requires:
        if not isinstance(written, str):
            continue
        try:
            name = canonicalize_name(Requirement(written).name)
        except InvalidRequirement:
            continue
        names.add(name.replace("-", "_"))
        if name == "setuptools":
            names |= _SETUPTOOLS_MODULES
    return frozenset(names)


def python_tuple(python: str | None) -> tuple[int, ...] | None:
    """``"3.12.1"`` → ``(3, 12, 1)``; an unknown micro is 0; ``None`` when not readable."""
    match = _VERSION.match(python or "")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


class Gates:
    """Whether each gate (``imports.gates``) holds for the target Python and this platform (a venv is made for
    the machine it is on), answered once per gate."""

    __slots__ = ("_answers", "platform", "version")

    def __init__(self, python: str | None, platform: str = sys.platform) -> None:
        self.version = python_tuple(python)
        self.platform = platform
        self._answers: dict[str, bool] = {}

    def holds(self, gate: str) -> bool:
        answer = self._answers.get(gate)
        if answer is None:
            answer = self._answers[gate] = gate_holds(gate, self.version, self.platform)
        return answer

    def key(self) -> tuple[object, ...]:
        return (self.version, self.platform)
