"""Which part of a project a source file belongs to — its *scope*: package code, tests, docs or scripts.

A fact of the project model that the import rules read: a test file importing a test tool declared for tests
is fine, while package code importing a distribution declared only for development is VS304. Decided from the
file's place alone (and pytest's ``testpaths``), never from its content:

- **tests**: a folder ``tests``/``test`` (or ``testdata``/``test_data``/``test-data``) at any depth (``pkg/tests/``
  too), a file ``test_*.py``, ``*_test.py``,
  ``tests.py``, ``runtests.py`` or ``conftest.py``, and whatever pytest's ``testpaths`` names
  (``[tool.pytest.ini_options]`` or ``[tool.pytest]`` in ``pyproject.toml``, ``[pytest]`` in
  ``pytest.ini``/``tox.ini``, ``[tool:pytest]`` in ``setup.cfg``);
- **docs**: a folder ``docs``/``doc`` at the project's root (``docs_src``, ``documentation``…), and a Sphinx
  ``conf.py`` (one beside an ``index.rst``/``index.md``) anywhere;
- **scripts**: a folder at the root for tooling (``scripts``, ``tools``, ``bin``, ``ci``, ``.github``,
  ``benchmarks``, ``examples``…) and build or task files anywhere (``setup.py``, ``noxfile.py``, ``tasks.py``,
  ``fabfile.py``…);
- **package**: everything else (a tooling-named folder *inside* a package, ``pkg/tools/``, is package code) —
  unless the project's packaging leaves its folder out of the distribution (``find_packages(exclude=["t",
  "t.*"])`` in ``setup.py``, ``exclude`` of ``[tool.setuptools.packages.find]`` or of setup.cfg's
  ``[options.packages.find]``: setuptools' own matching of dotted package names): such code is scripts —
  when the project has a main set at all (``[project]``, Poetry's table, ``setup.py``/``setup.cfg``, a main
  requirements file). A project with none (a uv workspace root holding only dependency groups) builds and
  deploys nothing: its code outside tests and docs is scripts.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from venvsense.declarations import SEPARATE_ENVIRONMENTS, Declaration
from venvsense.environment.metadata import read_bytes
from venvsense.tomlfile import TomlFile

Scope = Literal["package", "tests", "docs", "scripts"]
SCOPES: tuple[Scope, ...] = ("package", "tests", "docs", "scripts")

_TEST_FOLDERS = frozenset({"tests", "test", "testdata", "test_data", "test-data"})
_TEST_FILES = frozenset({"conftest.py", "tests.py", "runtests.py", "run_tests.py"})
_DOC_FOLDERS = frozenset({"docs", "doc"})
# a documentation folder at the root: docs, doc, docs_src, doc-src, docsrc, docs_source, documentation
_DOCS_FOLDER = re.compile(r"(?i)^(?:docs?(?:[-_]?(?:src|source|sources|examples?))?|documentation)$")
_SPHINX_INDEXES = ("index.rst", "index.md", "index.txt")
_SCRIPT_FOLDERS = frozenset({
    "scripts", "script", "tools", "tooling", "bin", "ci", ".github", ".circleci", "benchmarks", "benchmark",
    "bench", "asv_bench", "examples", "example", "samples", "sample", "demo", "demos", "tutorials", "tutorial",
    "notebooks", "templates", "devtools", "dev", "utils_dev", "maintenance", "release",
})
_SCRIPT_FILES = frozenset({
    "setup.py", "noxfile.py", "tasks.py", "fabfile.py", "dodo.py", "toxfile.py", "pavement.py", "hatch_build.py",
    "build.py", "_build.py", "build_backend.py", "release.py", "bootstrap.py",
})
# pytest's configuration files, in the order pytest reads them, with the section holding its options
_PYTEST_INI = (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))
_MAX_CONFIG_BYTES = 1 << 20


class Scopes:
    """The scope of each of a project's source files. ``test_paths``: pytest's ``testpaths`` (relative,
    with ``/``; glob patterns allowed, as pytest allows them); ``packaged``: the project has a main set (else
    it has no package code: what is not tests or docs is scripts)."""

    __slots__ = ("_folders", "_unshipped", "packaged", "root", "test_paths", "unpackaged")

    def __init__(self, root: Path, test_paths: Iterable[str] = (), *, packaged: bool = True,
                 unpackaged: Iterable[tuple[str, tuple[str, ...]]] = ()) -> None:
        self.root = root
        self.packaged = packaged
        self.test_paths = tuple(p for p in (_clean(p) for p in test_paths) if p)
        # (where, patterns): setuptools' package discovery under the folder ``where`` ("" for the root) leaves
        # out the packages whose dotted names match one of ``patterns``
        self.unpackaged = tuple((_clean(where).strip("."), tuple(patterns)) for where, patterns in unpackaged)
        self._folders: dict[str, Scope | None] = {}  # a folder (relative, "/") → its scope, None: by the file
        self._unshipped: dict[str, bool] = {}  # a folder (relative, "/") → left out of the distribution

    def of(self, path: Path) -> Scope:
        """The scope of the file at ``path`` (absolute; a file outside the root is package code)."""
        top = os.fspath(self.root)
        name = os.fspath(path)
        if not name.startswith(top) or name[len(top):len(top) + 1] not in (os.sep, ""):
            return "package"
        folder, _, filename = name[len(top) + 1:].replace(os.sep, "/").rpartition("/")
        if folder in self._folders:
            scope = self._folders[folder]
        else:
            scope = self._folders[folder] = self._folder_scope(folder)
        if scope is not None:
            return scope
        if self.test_paths and _listed(f"{folder}/{filename}" if folder else filename, self.test_paths):
            return "tests"
        if filename in _TEST_FILES or filename.startswith("test_") or filename.endswith("_test.py"):
            return "tests"
        if filename in _SCRIPT_FILES:
            return "scripts"
        if filename == "conf.py" and any(os.path.isfile(os.path.join(os.path.dirname(name), index))
                                         for index in _SPHINX_INDEXES):
            return "docs"
        if not self.packaged:
            return "scripts"
        if self.unpackaged and folder:
            unshipped = self._unshipped.get(folder)
            if unshipped is None:
                unshipped = self._unshipped[folder] = _left_out(folder, self.unpackaged)
            if unshipped:
                return "scripts"
        return "package"

    def _folder_scope(self, folder: str) -> Scope | None:
        """The scope every file in ``folder`` has, or ``None`` when its files decide."""
        if not folder:
            return None
        parts = folder.split("/")
        if self.test_paths and _listed(folder, self.test_paths):
            return "tests"
        if any(part in _TEST_FOLDERS for part in parts):
            return "tests"
        if _DOCS_FOLDER.match(parts[0]):
            return "docs"
        if parts[0] in _SCRIPT_FOLDERS:
            return "scripts"
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scopes) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[object, ...]:
        return self.root, self.test_paths, self.packaged, self.unpackaged

    def __repr__(self) -> str:
        return (f"Scopes({self.root}, test_paths={self.test_paths}, packaged={self.packaged}, "
                f"unpackaged={self.unpackaged})")


def _left_out(folder: str, unpackaged: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    """Whether the package in ``folder`` (relative, "/") is one that package discovery leaves out."""
    for where, patterns in unpackaged:
        if where:
            if not folder.startswith(where + "/"):
                continue
            relative = folder[len(where) + 1:]
        else:
            relative = folder
        dotted = relative.replace("/", ".")
        if any(fnmatch.fnmatchcase(dotted, pattern) for pattern in patterns):
            return True
    return False


def _clean(path: str) -> str:
    cleaned = path.strip().replace("\\", "/")
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    return cleaned.rstrip("/")


def _listed(relative: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``relative`` (a folder or file, with ``/``) is one of ``patterns`` or lies under one."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):  # a file's depth in the project: a handful of folders
        prefix = "/".join(parts[:depth])
        for pattern in patterns:
            if prefix == pattern or (any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(prefix, pattern)):
                return True
    return False


def read_scopes(root: Path, pyproject_toml: TomlFile | None, buffers: Mapping[Path, str] | None = None, *,
                packaged: bool = True) -> Scopes:
    """The project's scopes: pytest's ``testpaths`` from the first configuration that has pytest options
    (``pytest.ini``, ``pyproject.toml``, ``tox.ini``, ``setup.cfg``: pytest's own order), read without running
    anything; a file that cannot be read or parsed adds no test paths. ``packaged``: ``Scopes.packaged``.

    A test path that is the package itself is left out (pytest collecting doctests from it: ``testpaths =
    ["src", "tests"]``, ``["mypkg", "tests"]``): ``src``/``lib``, and a folder with an ``__init__.py``, no
    ``conftest.py`` and no "test" in its name."""
    buffers = buffers or {}
    found = _from_ini(root / "pytest.ini", "pytest", buffers)
    if found is None and pyproject_toml is not None:
        found = _from_pyproject(pyproject_toml)
    for name, section in _PYTEST_INI[1:]:
        if found is None:
            found = _from_ini(root / name, section, buffers)
    return Scopes(root, [p for p in found or () if not _package_folder(root, _clean(p))], packaged=packaged,
                  unpackaged=_unpackaged(root, pyproject_toml, buffers) if packaged else ())


def _package_folder(root: Path, relative: str) -> bool:
    if relative.lower() in ("src", "lib", "."):
        return True
    if "test" in relative.rpartition("/")[2].lower() or any(c in relative for c in "*?["):
        return False
    folder = root / relative
    return (folder / "__init__.py").is_file() and not (folder / "conftest.py").is_file()


def _from_pyproject(pyproject_toml: TomlFile) -> tuple[str, ...] | None:
    options = pyproject_toml.table("tool", "pytest", "ini_options") or pyproject_toml.table("tool", "pytest")
    if not options:
        return None
    return _paths(options.get("testpaths"))


def _paths(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _from_ini(path: Path, section: str, buffers: Mapping[Path, str]) -> tuple[str, ...] | None:
    """``testpaths`` of ``section`` in an INI file; ``None`` when the file has no such section (pytest goes on
    to the next file)."""
    text = buffers.get(path)
    if text is None:
        text = _read_regular(path)
    if text is None:
        return None
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except (configparser.Error, ValueError, RecursionError):
        return None
    if not parser.has_section(section):
        return None
    return _paths(parser.get(section, "testpaths", fallback=""))


def _unpackaged(root: Path, pyproject_toml: TomlFile | None,
                buffers: Mapping[Path, str]) -> list[tuple[str, tuple[str, ...]]]:
    """What setuptools' package discovery is told to leave out, read without running anything: ``exclude`` of
    ``[tool.setuptools.packages.find]``, of setup.cfg's ``[options.packages.find]`` (with ``packages = find:``)
    and of ``find_packages``/``find_namespace_packages`` calls in ``setup.py`` (literal strings only), each with
    its ``where``."""
    found: list[tuple[str, tuple[str, ...]]] = []
    if pyproject_toml is not None:
        find = pyproject_toml.table("tool", "setuptools", "packages", "find")
        excluded = _paths(find.get("exclude")) if find else ()
        if excluded:
            found += [(where, excluded) for where in _paths(find.get("where")) or (".",)]
    setup_cfg = root / "setup.cfg"
    text = buffers.get(setup_cfg)
    if text is None:
        text = _read_regular(setup_cfg)
    if text is not None and "exclude" in text:
        parser = configparser.RawConfigParser(strict=False, interpolation=None)
        try:
            parser.read_string(text, source=str(setup_cfg))
        except (configparser.Error, ValueError, RecursionError):
            parser = configparser.RawConfigParser()
        if (parser.get("options", "packages", fallback="").strip().startswith("find")
                and parser.has_option("options.packages.find", "exclude")):
            excluded = tuple(p for p in parser.get("options.packages.find", "exclude").replace(",", " ").split())
            found.append((parser.get("options.packages.find", "where", fallback=".").strip() or ".", excluded))
    setup_py = root / "setup.py"
    text = buffers.get(setup_py)
    if text is None:
        text = _read_regular(setup_py)
    if text is not None and ("find_packages" in text or "find_namespace_packages" in text):
        found += _setup_py_excludes(text)
    return found


_FINDERS = frozenset({"find_packages", "find_namespace_packages"})


def _setup_py_excludes(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(where, exclude)`` of each ``find_packages(...)`` call in ``setup.py`` whose ``exclude`` (and ``where``,
    when given) are literal strings; a call with anything computed there says nothing."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if name not in _FINDERS:
            continue
        arguments = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        for index, key in enumerate(("where", "exclude")):
            if key not in arguments and len(node.args) > index:
                arguments[key] = node.args[index]
        try:
            where = ast.literal_eval(arguments["where"]) if "where" in arguments else "."
            excluded = ast.literal_eval(arguments["exclude"]) if "exclude" in arguments else ()
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if (isinstance(where, str) and isinstance(excluded, (list, tuple)) and excluded
                and all(isinstance(pattern, str) for pattern in excluded)):
            found.append((where, tuple(excluded)))
    return found


def _read_regular(path: Path) -> str | None:
    """The text of a regular file of at most 1 MB (never a FIFO or a device), else ``None``."""
    data = read_bytes(path, _MAX_CONFIG_BYTES + 1)
    if data is None or len(data) > _MAX_CONFIG_BYTES:
        return None
    return data.decode("utf-8", "replace")


# the words of a requirements file's name (or of its folder under ``requirements/``) that make it a set for
# development: ``requirements-dev.txt``, ``dev-requirements.txt``, ``requirements/test.txt``, ``requirements_docs.in``
_DEVELOPMENT_WORDS = frozenset({
    "dev", "devel", "develop", "development", "test", "tests", "testing", "doc", "docs", "lint", "linting",
    "linters", "typing", "types", "mypy", "ci", "tox", "style", "check", "checks", "qa", "bench", "benchmark",
    "benchmarks", "coverage", "tools", "tooling", "pre-commit", "precommit",
})


def development_only(declaration: Declaration, root: Path | None = None) -> bool:
    """Whether ``declaration`` is in a set only a developer of the project installs: a dependency group
    (PEP 735, Poetry's groups, uv's ``dev-dependencies``) or a requirements file for development
    (``requirements-dev*.txt``, ``requirements/dev*.txt``/``test*.txt``, ``docs/requirements.txt`` at the
    ``root``…). Never the main set, and never an extra: an extra is optional *runtime*, what users of the
    package ask for."""
    if declaration.primary:
        return False
    where = declaration.declaration_set
    if where.startswith("extra "):
        return False
    if where.startswith(("group ", *SEPARATE_ENVIRONMENTS)) or where == "tool.uv dev-dependencies":
        return True
    path = declaration.file
    if path.suffix.lower() not in (".txt", ".in"):
        return False  # setup.cfg, setup.py, pyproject.toml: their secondary sets are extras or groups
    words = set(re.split(r"[-_.\s]+", path.stem.lower()))
    if words & _DEVELOPMENT_WORDS:
        return True
    folder = path.parent.name.lower()
    if folder in _DOC_FOLDERS or folder in _TEST_FOLDERS:
        return root is None or path.parent.parent == root
    return False
