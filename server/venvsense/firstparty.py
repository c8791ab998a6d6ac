"""The project's own import names: what ``import x`` finds in the project rather than in the venv.

Read from the files on disk (flat layout, ``src/`` layout, namespace packages) and from what
``pyproject.toml`` / ``setup.cfg`` say about where packages live (the project model's texts, so unsaved
editor buffers count); nothing is imported or run.
"""

from __future__ import annotations

import configparser
import contextlib
import contextvars
import keyword
import os
import stat
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvsense.caches import MemoryCache
from venvsense.manifests import BUILD_OUTPUT_DIRECTORIES, is_environment_folder, is_skipped_name
from venvsense.tomlfile import TomlFile, read_toml
from venvsense.tree import folders_above

# Folders that hold Python files but not the project's importable code, on top of the manifest policy's
# skipped folders (``manifests.is_skipped_name``, venvs by their ``pyvenv.cfg``) and every dot-folder.
NOT_IMPORTABLE_DIRS = frozenset({"docs", "doc", "htmlcov"})
# How many directory entries a namespace-package probe looks at before giving up (a data folder with
# thousands of files and no Python in it is not a package).
_PROBE_LIMIT = 5000
_SOURCE_SUFFIXES = (".py", ".pyi")
_EXTENSION_SUFFIXES = (".so", ".pyd")


def is_import_name(name: str) -> bool:
    """Whether ``name`` can be the name of a module (``import name``)."""
    return name.isidentifier() and not keyword.iskeyword(name)


def module_name_of_file(name: str) -> str | None:
    """The module a file in a package directory defines: ``x.py``/``x.pyi`` → ``x``, an extension
    module ``x.cpython-311-x86_64-linux-gnu.so``/``x.pyd`` → ``x``; ``None`` for anything else."""
    if name.endswith(_SOURCE_SUFFIXES):
        stem = name.rsplit(".", 1)[0]
    elif name.endswith(_EXTENSION_SUFFIXES):
        stem = name.split(".", 1)[0]
    else:
        return None
    return stem if is_import_name(stem) else None


def _skipped(path: Path, exclude: Callable[[Path], bool] | None) -> bool:
    name = path.name
    if name.startswith(".") or is_skipped_name(name) or name in NOT_IMPORTABLE_DIRS or name.endswith(".dist-info") \
            or name in BUILD_OUTPUT_DIRECTORIES:
        return True
    if is_environment_folder(path):
        return True
    return exclude is not None and exclude(path)


def contains_python(folder: Path, exclude: Callable[[Path], bool] | None = None) -> bool:
    """Whether ``folder`` holds a Python source file at any depth (skipping venvs, caches, VCS folders)."""
    seen = 0
    for current, dirs, files in os.walk(folder):
        seen += len(dirs) + len(files)
        if any(f.endswith(_SOURCE_SUFFIXES) for f in files):
            return True
        if seen > _PROBE_LIMIT:
            return False
        base = Path(current)
        dirs[:] = [d for d in dirs if not _skipped(base / d, exclude)]
    return False


def _modules_in(folder: Path, exclude: Callable[[Path], bool] | None) -> Iterator[str]:
    """Top-level import names found directly in a source folder (a folder put on ``sys.path``)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            if not is_import_name(entry.name) or _skipped(path, exclude):
                continue
            if (path / "__init__.py").is_file() or (path / "__init__.pyi").is_file():
                yield entry.name
            elif contains_python(path, exclude):
                yield entry.name  # a namespace package (PEP 420)
        else:
            module = module_name_of_file(entry.name)
            if module is not None and not (exclude is not None and exclude(path)):
                yield module


def _table(data: Any, *keys: str) -> Mapping[str, Any]:
    for key in keys:
        if not isinstance(data, Mapping):
            return {}
        data = data.get(key, {})
    return data if isinstance(data, Mapping) else {}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def layout_settings(pyproject_toml: TomlFile | None) -> tuple[object, ...]:
    """What first-party detection reads from ``pyproject.toml`` (build backends' package settings): a
    re-check reuses an import classification only while this is unchanged."""
    if pyproject_toml is None:
        return ()
    tool = pyproject_toml.table("tool")
    return (tool.get("setuptools"), _table(tool, "hatch", "build", "targets", "wheel").get("packages"),
            _table(tool, "poetry").get("packages"), tool.get("flit"), tool.get("maturin"), tool.get("pdm"))


_Stamp = tuple[int, int] | None
_LAYOUTS: MemoryCache[tuple[Path, _Stamp, _Stamp], tuple[tuple[Path, ...], tuple[str, ...]]] = MemoryCache(
    name="firstparty.declared_layouts",
    key="a project folder and the (mtime, size) of its pyproject.toml and setup.cfg (None: no such file)",
    invalidation="a changed file has another mtime or size, hence another key",
    owner="the process: the projects around a nested one, and a workspace's members, are read once per version",
    limit=256)


def _stamp(path: Path) -> _Stamp:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size) if stat.S_ISREG(status.st_mode) else None


def _declared_layout(project_root: Path, pyproject_toml: TomlFile | None,
                     setup_cfg_text: str | None) -> tuple[list[Path], list[str]]:
    """Extra source folders and explicit package names from ``pyproject.toml`` and ``setup.cfg`` — read from disk
    (when the caller has no parsed copy) once per version of the two files."""
    if pyproject_toml is not None or setup_cfg_text is not None:
        return _read_declared_layout(project_root, pyproject_toml, setup_cfg_text)
    key = (project_root, _stamp(project_root / "pyproject.toml"), _stamp(project_root / "setup.cfg"))
    cached = _LAYOUTS.get(key)
    if cached is None:
        folders, names = _read_declared_layout(project_root, None, None)
        cached = _LAYOUTS.put(key, (tuple(folders), tuple(names)))
    return list(cached[0]), list(cached[1])


def _read_declared_layout(project_root: Path, pyproject_toml: TomlFile | None,
                          setup_cfg_text: str | None) -> tuple[list[Path], list[str]]:
    folders: list[Path] = []
    names: list[str] = []
    pyproject = project_root / "pyproject.toml"
    if pyproject_toml is None and pyproject.is_file():
        pyproject_toml = read_toml(pyproject)
    if pyproject_toml is not None:
        tool = pyproject_toml.table("tool")
        setuptools = _table(tool, "setuptools")
        packages = setuptools.get("packages")
        names += [p.split(".", 1)[0] for p in _strings(packages)]
        folders += [project_root / w for w in _strings(_table(setuptools, "packages", "find").get("where"))]
        package_dir = _table(setuptools, "package-dir")
        folders += [project_root / d for d in _strings(package_dir.get(""))]
        for dotted, folder in package_dir.items():
            if dotted and isinstance(folder, str):
                names.append(dotted.split(".", 1)[0])
        # hatch: packages = ["src/foo"]; poetry: packages = [{include = "foo", from = "src"}]
        wheel = _table(tool, "hatch", "build", "targets", "wheel")
        names += [Path(p).name for p in _strings(wheel.get("packages"))]
        poetry_packages = _table(tool, "poetry").get("packages")
        for entry in poetry_packages if isinstance(poetry_packages, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("include"), str):
                names.append(Path(entry["include"]).name.split(".", 1)[0])
                if isinstance(entry.get("from"), str):
                    folders.append(project_root / entry["from"])
        flit_name = _table(tool, "flit", "module").get("name")
        if isinstance(flit_name, str):
            names.append(flit_name.split(".", 1)[0])
        folders += [project_root / p for p in _strings(_table(tool, "maturin").get("python-source"))]
        folders += [project_root / p for p in _strings(_table(tool, "pdm", "build").get("package-dir"))]
    setup_cfg = project_root / "setup.cfg"
    if setup_cfg_text is not None or setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            if setup_cfg_text is not None:
                parser.read_string(setup_cfg_text, os.fspath(setup_cfg))
            else:
                parser.read(setup_cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            parser = configparser.ConfigParser(interpolation=None)
        if parser.has_option("options.packages.find", "where"):
            folders += [project_root / w.strip()
                        for w in parser.get("options.packages.find", "where").split() if w.strip()]
        if parser.has_option("options", "package_dir"):
            for line in parser.get("options", "package_dir").replace(",", "\n").splitlines():
                key, sep, folder = line.partition("=")
                if sep and not key.strip() and folder.strip():
                    folders.append(project_root / folder.strip())
        if parser.has_option("options", "packages"):
            value = parser.get("options", "packages").strip()
            if not value.startswith("find"):
                names += [p.strip().split(".", 1)[0] for p in value.replace(",", "\n").split() if p.strip()]
    return folders, [n for n in names if is_import_name(n)]


# The first-party names already found in this run (``one_run``), by every argument they depend on: a workspace's
# projects each ask about the workspace's root and their own folder (autogen's 20 projects asked 67 times about 20
# folders). ``None`` outside a run: every call reads the tree (the language server, whose tree changes).
_RunKey = tuple[Path, tuple[str, ...], Path | None, str | None, str | None]
_THIS_RUN: contextvars.ContextVar[dict[_RunKey, frozenset[str]] | None] = contextvars.ContextVar(
    "venvsense_first_party_run", default=None)


@contextlib.contextmanager
def one_run() -> Generator[None, None, None]:
    """A read-only run over a tree (the CLI's ``check`` and ``show``): inside it, ``first_party_modules`` of the
    same folder, names and layout texts is computed once and reused, the tree being taken as unchanged for the
    run's length, as the run reads it once anyway."""
    token = _THIS_RUN.set({})
    memo_token = _RUN_MEMO.set({})
    try:
        yield
    finally:
        _RUN_MEMO.reset(memo_token)
        _THIS_RUN.reset(token)


# Other facts of the tree found once per run (``run_memo``), each under a key its user makes its own (its name
# first): what a workspace's projects ask about the same folder (what the workspace's root imports).
_RUN_MEMO: contextvars.ContextVar[dict[tuple[object, ...], Any] | None] = contextvars.ContextVar(
    "venvsense_run_memo", default=None)


def run_memo() -> dict[tuple[object, ...], Any] | None:
    """The memo of the current ``one_run`` (``None`` outside one: the caller computes afresh). A value depends only
    on its key and the tree, which the run takes as unchanged."""
    return _RUN_MEMO.get()


def first_party_modules(project_root: Path, *, known: Iterable[str] = (),
                        exclude: Callable[[Path], bool] | None = None, pyproject_toml: TomlFile | None = None,
                        setup_cfg_text: str | None = None) -> frozenset[str]:
    """The project's own top-level import names (``_first_party_modules``), once per run (``one_run``) for the
    same arguments when nothing is excluded (an ``exclude`` callable says nothing a key could hold)."""
    run = _THIS_RUN.get()
    if run is None or exclude is not None:
        return _first_party_modules(project_root, known=known, exclude=exclude, pyproject_toml=pyproject_toml,
                                    setup_cfg_text=setup_cfg_text)
    known = tuple(known)
    key: _RunKey = (project_root, known, pyproject_toml.path if pyproject_toml is not None else None,
                    pyproject_toml.text if pyproject_toml is not None else None, setup_cfg_text)
    found = run.get(key)
    if found is None:
        found = run[key] = _first_party_modules(project_root, known=known, pyproject_toml=pyproject_toml,
                                                setup_cfg_text=setup_cfg_text)
    return found


def _first_party_modules(project_root: Path, *, known: Iterable[str] = (),
                        exclude: Callable[[Path], bool] | None = None, pyproject_toml: TomlFile | None = None,
                        setup_cfg_text: str | None = None) -> frozenset[str]:
    """The project's own top-level import names.

    Modules and packages at the root (flat layout) and under ``src/``; namespace packages (a folder
    without ``__init__.py`` holding Python files at some depth); the folders and package names that
    ``pyproject.toml`` (setuptools, hatch, poetry, flit, maturin, pdm) or ``setup.cfg`` declare; and
    ``known`` (from configuration). Virtual environments, VCS and cache folders, ``build``, ``dist``,
    ``node_modules`` and ``docs`` are never looked into; ``exclude`` drops further paths (files or
    folders). A local package named like a PyPI distribution (``requests/``) is first-party: it is what
    ``import requests`` finds when the project runs from its root.

    ``pyproject_toml`` and ``setup_cfg_text`` are the project model's (parsed once, editor buffers included);
    without them the files are read from disk.
    """
    names: set[str] = {k.split(".", 1)[0] for k in known if k}
    names.update(_modules_in(project_root, exclude))
    folders, declared = _declared_layout(project_root, pyproject_toml, setup_cfg_text)
    names.update(declared)
    src = project_root / "src"
    if src.is_dir() and not (src / "__init__.py").is_file():
        folders.append(src)
    seen: set[Path] = set()
    for folder in folders:
        try:
            resolved = folder.resolve()
        except OSError:
            continue
        if resolved in seen or resolved == project_root.resolve() or not folder.is_dir():
            continue
        seen.add(resolved)
        names.update(_modules_in(folder, exclude))
    return frozenset(n for n in names if is_import_name(n))


def is_local_to_script(module_top: str, script: Path) -> bool:
    """Whether ``import module_top`` in ``script`` finds a module next to it.

    Running ``python script.py`` puts the script's folder first on ``sys.path``, so a sibling ``x.py``,
    package ``x/`` (with ``__init__.py``) or extension module ``x.*.so`` is what the import gets. A
    sibling folder without ``__init__.py`` counts when it holds Python files (it is then a namespace
    package); a folder of data files does not. (For many scripts, ``ScriptFolders`` lists each folder once.)
    """
    return ScriptFolders().is_local(module_top, script.parent)


class ScriptFolders:
    """``is_local_to_script`` for the many imports of a project: each folder is listed once (one
    ``scandir``) and each (folder, name) answered once, instead of a few ``stat`` calls per import.

    What it learns is kept for the object's lifetime: make one per check, since files come and go.
    """

    __slots__ = ("_folders",)

    def __init__(self) -> None:
        self._folders: dict[str, ScriptFolder] = {}

    def folder(self, folder: Path | str) -> ScriptFolder:
        """The listing of one folder (made on first use)."""
        key = os.fspath(folder)
        found = self._folders.get(key)
        if found is None:
            found = self._folders[key] = ScriptFolder(key)
        return found

    def answers(self) -> dict[str, dict[str, bool]]:
        """Every answer given so far, by folder: what a classification made with these listings depended on."""
        return {key: dict(found._answers) for key, found in self._folders.items()}

    def is_local(self, module_top: str, folder: Path | str) -> bool:
        """Whether ``import module_top`` from a script in ``folder`` finds a module in that folder."""
        return self.folder(folder).has(module_top.split(".", 1)[0])


class ScriptFolder:
    """One script folder (from ``ScriptFolders.folder``): its ``x.py`` files, sub-folders and extension
    modules, and the answers given."""

    __slots__ = ("_answers", "_dirs", "_extensions", "_path", "_sources")

    def __init__(self, path: str) -> None:
        self._path = path
        self._answers: dict[str, bool] = {}
        self._sources: set[str] | None = set()
        self._dirs: set[str] = set()
        self._extensions: set[str] = set()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    name = entry.name
                    if name.endswith(_EXTENSION_SUFFIXES):
                        self._extensions.add(name.split(".", 1)[0])
                    try:
                        if name.endswith(".py") and entry.is_file():
                            self._sources.add(sys.intern(name[:-3]))  # `utils`, `models`: in many folders
                        elif entry.is_dir():
                            self._dirs.add(name)
                    except OSError:
                        continue
        except OSError:
            self._sources = None  # not listable (perhaps still searchable): ask the file system per name

    def same_as(self, other: ScriptFolder) -> bool:
        """Whether ``other`` (a newer listing of the same folder) gives every answer this one gave."""
        if self._sources is None or other._sources is None:
            return False
        if self._sources != other._sources or self._dirs != other._dirs or self._extensions != other._extensions:
            return False
        # a sub-folder's answer depends on what is inside it: ask again
        return all(other.has(top) == answer for top, answer in self._answers.items() if top in self._dirs)

    def has(self, top: str) -> bool:
        """Whether ``import top`` from a script in this folder finds a module here."""
        answer = self._answers.get(top)
        if answer is None:
            answer = self._answers[top] = is_import_name(top) and self._find(top)
        return answer

    def _find(self, top: str) -> bool:
        if self._sources is not None and top not in self._dirs:
            return top in self._sources or top in self._extensions
        folder = Path(self._path)
        if self._sources is None:  # the folder could not be listed: probe names one by one
            if (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file():
                return True
            candidate = folder / top
            if candidate.is_dir():
                return not _skipped(candidate, None) and contains_python(candidate)
            return False
        if top in self._sources:
            return True
        if top in self._dirs:
            candidate = folder / top
            if (candidate / "__init__.py").is_file():
                return True
            return not _skipped(candidate, None) and contains_python(candidate)
        return top in self._extensions


def workspace_members(project_root: Path, pyproject_toml: TomlFile | None = None) -> dict[str, frozenset[str]]:
    """A uv workspace's members (``[tool.uv.workspace] members``, globs, less ``exclude``), read statically:
    each member's distribution (``[project] name``, normalized) → its top-level import names
    (``first_party_modules`` of the member: ``[tool.hatch.build.targets.wheel] packages = ["stories"]``, the
    folders at its root or under ``src/``). Empty for a project that is no workspace root."""
    if pyproject_toml is None:
        path = project_root / "pyproject.toml"
        if not path.is_file():
            return {}
        pyproject_toml = read_toml(path)
    members: dict[str, frozenset[str]] = {}
    for folder in workspace_member_folders(project_root, pyproject_toml):
        member_toml = read_toml(folder / "pyproject.toml")
        name = _table(member_toml.data, "project").get("name")
        if isinstance(name, str) and name:
            members.setdefault(canonicalize_name(name), first_party_modules(folder, pyproject_toml=member_toml))
    return members


def workspace_member_folders(project_root: Path, pyproject_toml: TomlFile | None = None) -> list[Path]:
    """The folders of a uv workspace's members (``[tool.uv.workspace] members`` globs, less ``exclude``; each
    holding a ``pyproject.toml``), sorted; none for a project that is no workspace root."""
    if pyproject_toml is None:
        path = project_root / "pyproject.toml"
        if not path.is_file():
            return []
        pyproject_toml = read_toml(path)
    workspace = _table(pyproject_toml.table("tool"), "uv", "workspace")
    excluded: set[Path] = set()
    for pattern in _strings(workspace.get("exclude")):
        try:
            excluded.update(project_root.glob(pattern))
        except (ValueError, OSError):
            continue
    found: list[Path] = []
    for pattern in _strings(workspace.get("members")):
        try:
            folders = sorted(project_root.glob(pattern))
        except (ValueError, OSError):
            continue
        for folder in folders:
            if folder not in excluded and folder != project_root and (folder / "pyproject.toml").is_file():
                found.append(folder)
    return sorted(dict.fromkeys(found))


_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def enclosing_first_party(project_root: Path) -> frozenset[str]:
    """The top-level import names of the nearest project above ``project_root`` (``enclosing_project``): a
    nested ``docs/`` or ``tests/`` project imports the project it documents or tests (``import flake8`` in
    ``docs/source/conf.py``)."""
    enclosing = enclosing_project(project_root)
    return first_party_modules(enclosing) if enclosing is not None else frozenset()


def enclosing_project(project_root: Path) -> Path | None:
    """The nearest project above ``project_root`` (a folder holding a ``pyproject.toml``, ``setup.py`` or
    ``setup.cfg``), looking no further than the repository's root (the first folder holding ``.git``) and never
    at the home folder or above."""
    try:
        return next((folder for folder in folders_above(project_root)
                     if any((folder / name).is_file() for name in _PROJECT_FILES)), None)
    except OSError:
        return None
    return frozenset()
