"""Distributions a project uses by name, not by import (issue 11, pattern 16): a module named in a string of
its settings (Django's ``INSTALLED_APPS``, ``MIDDLEWARE``, backends, ``DATABASES`` engines and the driver they
load, Sphinx's ``extensions``, logging handler classes), the driver of a database or broker URL
(``mysql+pymysql://``), an entry point (``module:attr``) in its ``pyproject.toml``/``setup.cfg``/``setup.py`` or a
paste deploy ``.ini`` (``use = egg:Dist#main``), a command its own tooling runs (a Makefile, tox ``commands``,
a noxfile, pre-commit hooks, GitHub workflow ``run:`` steps, a Procfile, pdm/hatch/poe scripts), a tool its
config files are for (``[tool.black]``, ``[flake8]``, ``.coveragerc``), and ``tzdata`` read by ``zoneinfo``.

Cheap by design: only the files likely to name something are read — settings-like Python files (by name or
folder), Python files importing what reads names or URLs (SQLAlchemy, Celery, ...), ``setup.py`` and a noxfile,
and a fixed set of config files at the project's root (``.ini`` files also one folder down); a Python file is
parsed only when its bytes hold what could name a candidate's module; each file's names are kept per (path,
mtime, size, how it is read).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.caches import MemoryCache
from venvsense.classify.byname.commands import (
    TOOL_FILES,
    lines_names,
    noxfile_names,
    section_tools,
    tox_commands,
    yaml_names,
)
from venvsense.classify.byname.config import pyproject_names
from venvsense.classify.byname.names import (
    DISTRIBUTION,
    MODULE,
    NameFound,
    entry_point_names,
    implied_modules,
    implying_prefixes,
    ini_names,
    mkdocs_names,
    python_names,
    python_needles,
    url_names,
)
from venvsense.classify.records import Usage
from venvsense.manifests import is_skipped_folder

__all__ = ["NameUse", "UsedByName", "used_by_name"]


@dataclass(frozen=True, slots=True)
class NameUse:
    """Where a distribution or module is used by name: ``file``, 1-based ``line``, and how (``what``)."""

    file: Path
    line: int
    what: str


class UsedByName:
    """The modules (``modules``: every dotted prefix of a named module) and distributions (``distributions``,
    by normalized name: ``egg:`` references, commands, configured tools) a project uses by name."""

    __slots__ = ("distributions", "modules")

    def __init__(self, modules: dict[str, NameUse], distributions: dict[str, NameUse]) -> None:
        self.modules = modules
        self.distributions = distributions

    def use_of(self, normalized: str, modules: Iterable[str]) -> NameUse | None:
        """Where the distribution ``normalized``, providing ``modules``, is used by name (``None``: nowhere)."""
        found = self.distributions.get(normalized)
        if found is not None:
            return found
        for module in modules:
            found = self.modules.get(module)
            if found is not None:
                return found
        return None


# Python files read because of what they import: libraries that load modules or drivers named in strings
_CONSUMERS = frozenset({"sqlalchemy", "celery", "kombu", "alembic", "flask_sqlalchemy", "sqlmodel", "databases",
                        "tortoise", "peewee", "playhouse", "dj_database_url", "environ", "decouple",
                        "pydantic_settings", "dramatiq", "rq", "huey"})
_STDLIB_LOADERS = frozenset({"zoneinfo", "backports.zoneinfo"})
_STRICT_NAMES = frozenset({"conftest.py", "runtests.py", "manage.py", "wsgi.py", "asgi.py", "celery.py",
                           "celeryconfig.py", "gunicorn.conf.py", "gunicorn_config.py"})
_MARKERS = (b"INSTALLED_APPS", b"MIDDLEWARE", b"CELERY_", b"_BACKEND")
# Distributions another library (or the standard library) loads when they are installed, without the project
# importing them: each with the modules whose import makes them used. tzdata: the time zone database zoneinfo
# reads where the system has none; pywatchman: Django's autoreloader; python-dotenv: Flask's CLI reads .env;
# uvloop/httptools/watchfiles/websockets/wsproto: uvicorn's event loop, HTTP parser, reloader and WebSocket
# protocols; email-validator: pydantic's EmailStr; watchdog: Werkzeug's reloader.
_LOADED_BY: dict[str, tuple[str, ...]] = {
    "tzdata": ("zoneinfo", "backports.zoneinfo", "django", "pendulum"), "pywatchman": ("django",),
    "python-dotenv": ("flask",), "uvloop": ("uvicorn",), "httptools": ("uvicorn",), "watchfiles": ("uvicorn",),
    "websockets": ("uvicorn",), "wsproto": ("uvicorn",), "email-validator": ("pydantic",),
    "watchdog": ("werkzeug", "flask"),
}

_file_names: MemoryCache[tuple[str, int, int, str], tuple[NameFound, ...]] = MemoryCache(
    "classify.byname.file_names", key="a file's path, mtime (ns), size, and how it is read",
    invalidation="a changed file has another mtime or size, hence another key",
    owner="the process: a re-check reads only the changed files again", limit=1 << 13)

_file_lacks: MemoryCache[tuple[str, int, int, str, tuple[bytes, ...]], bool] = MemoryCache(
    "classify.byname.file_lacks", key="a file's path, mtime (ns), size, how it is read, and the needles sought",
    invalidation="a changed file has another mtime or size; other candidates, other needles: another key",
    owner="the process: a re-check with the same candidates opens no file it already searched", limit=1 << 14)


# a command's distribution, by the command as written (generated workflows name the same few thousands of times)
_canonical = functools.lru_cache(maxsize=4096)(canonicalize_name)


def _python_mode(path: str) -> str | None:
    """How a Python file is read by its name: ``settings`` (every short string, bare names too: a settings file
    by its name or folder, Sphinx's ``conf.py``), ``python`` (dotted names, entry points and URLs: files named
    like configuration), ``setup.py``, ``noxfile``; ``None``: not by its name (what it imports may still say)."""
    folder, _, name = path.rpartition(os.sep)
    if name == "setup.py":
        return "setup.py"
    if name == "noxfile.py":
        return "noxfile"
    stem = name[:-3].lower() if name.endswith(".py") else name.lower()
    parent = folder.rpartition(os.sep)[2].lower()
    if parent == "migrations":
        return None
    # settings.py, settings_local.py, test_settings.py, a settings/ package — not shop_settings_update.py
    if stem.startswith("settings") or stem.endswith("settings") or stem == "conf" or parent == "settings":
        return "settings"
    if name in _STRICT_NAMES or stem.startswith("config") or stem.endswith("config"):
        return "python"
    return None


def _read_names(path: str, mode: str) -> tuple[NameFound, ...]:
    with open(path, "rb") as handle:
        data = handle.read(1 << 22)
    if mode == "settings" or mode == "python":
        loose = mode == "settings" or any(marker in data for marker in _MARKERS)
        return tuple(python_names(data, loose))
    if mode == "setup.py":
        return tuple(entry_point_names(data))
    text = data.decode("utf-8", "replace")
    if mode == "noxfile":
        return tuple(noxfile_names(text) + python_names(data, False))
    if mode == "pyproject":
        return tuple(pyproject_names(text))
    if mode == "cfg":  # setup.cfg, tox.ini: tools by section, entry points, commands, names in values
        return tuple(section_tools(text) + tox_commands(text) + entry_point_names(data) + ini_names(text))
    if mode == "ini":
        return tuple(ini_names(text))
    if mode == "env":
        return tuple(url_names(data))
    if mode == "make":
        return tuple(lines_names(text, "a Makefile recipe", recipe_only=True))
    if mode == "procfile":
        return tuple(lines_names(text, "a Procfile"))
    if mode == "just":
        return tuple(lines_names(text, "a justfile recipe", recipe_only=False))
    if mode == "workflow":
        return tuple(yaml_names(text, "a workflow step"))
    if mode == "pre-commit":
        return tuple(yaml_names(text, "a pre-commit hook"))
    if mode == "mkdocs":
        return tuple(mkdocs_names(text))
    if mode == "compose":
        return tuple(url_names(data))
    return ()


def _config_mode(name: str) -> str | None:
    lowered = name.lower()
    if lowered == "pyproject.toml":
        return "pyproject"
    if lowered in {"setup.cfg", "tox.ini"}:
        return "cfg"
    if lowered in {".pre-commit-config.yaml", ".pre-commit-config.yml"}:
        return "pre-commit"
    if lowered in {"makefile", "gnumakefile"} or lowered.endswith(".mk"):
        return "make"
    if lowered in {"mkdocs.yml", "mkdocs.yaml"}:
        return "mkdocs"
    if lowered == "justfile":
        return "just"
    if lowered == "procfile" or lowered.startswith("procfile."):
        return "procfile"
    if lowered.startswith(".env") or lowered.endswith(".env"):
        return "env"
    if lowered.startswith(("docker-compose", "compose")) and lowered.endswith((".yml", ".yaml")):
        return "compose"
    if lowered.endswith((".ini", ".cfg")) or lowered in {".coveragerc", ".flake8", ".pylintrc", "pylintrc"}:
        return "ini"
    return None


def _config_files(root: Path) -> list[tuple[str, str]]:
    """(path, mode) of the config files at the root, ``.ini`` files one folder down, and GitHub workflows."""
    found: list[tuple[str, str]] = []
    folders: list[str] = []
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and not is_skipped_folder(entry.name, entry.path):
                        folders.append(entry.path)
                    continue
                mode = _config_mode(entry.name)
                if mode is not None or entry.name in TOOL_FILES:
                    found.append((entry.path, mode or "tool"))
    except OSError:
        return found
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                found.extend((entry.path, "ini") for entry in entries
                             if entry.name.endswith(".ini") and entry.is_file(follow_symlinks=False))
        except OSError:
            continue
    workflows = os.path.join(root, ".github", "workflows")
    try:
        with os.scandir(workflows) as entries:
            found.extend((entry.path, "workflow") for entry in entries
                         if entry.name.endswith((".yml", ".yaml")) and entry.is_file(follow_symlinks=False))
    except OSError:
        pass
    return found


def _names_of(path: str, mode: str, needles: tuple[bytes, ...] | None = None) -> tuple[NameFound, ...]:
    """The names in one file, kept by (path, mtime, size, mode). A Python file that holds none of ``needles``
    (what could name a wanted module) is not parsed, and nothing is kept for it."""
    try:
        status = os.stat(path)
        key = (path, status.st_mtime_ns, status.st_size, mode)
        names = _file_names.get(key)
        if names is None:
            if mode == "tool":
                return ()
            if needles is not None:
                if _file_lacks.get((*key, needles)):
                    return ()
                with open(path, "rb") as handle:
                    data = handle.read(1 << 22)
                if not any(needle in data for needle in needles):
                    _file_lacks.put((*key, needles), True)
                    return ()
            names = _file_names.put(key, _read_names(path, mode))
    except OSError:
        return ()
    return names


def used_by_name(root: Path, usage: Usage, wanted: Iterable[tuple[str, Iterable[str]]]) -> UsedByName:
    """What the project at ``root`` (its classified imports in ``usage``) uses by name, as far as the ``wanted``
    distributions go ((normalized name, its modules) pairs: the unused-dependency candidates): a Python file is
    parsed only when its bytes hold something that could name one of their modules."""
    modules: dict[str, NameUse] = {}
    distributions: dict[str, NameUse] = {}
    wanted = list(wanted)
    needles = python_needles(module for _, provided in wanted for module in provided)

    def add(path: Path, found: Iterable[NameFound]) -> None:
        for item in found:
            if item.kind == MODULE:
                parts = item.name.split(".")
                for depth in range(1, len(parts) + 1):
                    modules.setdefault(".".join(parts[:depth]), NameUse(path, item.line, item.what))
            elif item.kind == DISTRIBUTION:
                name = _canonical(item.name)
                if name not in distributions:  # (the first use found is the one kept)
                    distributions[name] = NameUse(path, item.line, item.what)

    if needles:
        files: dict[Path, str] = {}
        for path in usage.scanned:
            mode = _python_mode(os.fspath(path))
            if mode is not None:
                files[path] = mode
        consumers = _CONSUMERS
        for item in usage.third_party:  # files importing what loads names or URLs (SQLAlchemy, Celery, ...)
            if item.file not in files and item.top in consumers:
                files[item.file] = "python"
        for path, mode in files.items():
            add(path, _names_of(os.fspath(path), mode, needles))
    for name, mode in _config_files(root):
        path = Path(name)
        if path.name in TOOL_FILES:
            distributions.setdefault(canonicalize_name(TOOL_FILES[path.name]), NameUse(path, 1, "its config file"))
        add(path, _names_of(name, mode))
    loaded = {normalized: _LOADED_BY[normalized] for normalized, _ in wanted if normalized in _LOADED_BY}
    if loaded:
        _loaded_by_imports(usage, loaded, distributions)
    prefixes = implying_prefixes(module for _, provided in wanted for module in provided)
    if prefixes:  # `from storages.backends.s3boto3 import ...` loads boto3 as surely as the string does
        for path, scan in usage.scanned.items():  # every import: a local `storages.py` may shadow the name
            for index, module in enumerate(scan.modules):
                if module.startswith(prefixes):
                    line = scan.statement_at(index).line + 1
                    add(path, (NameFound(MODULE, implied, line, f"import {module} (it loads {implied})")
                               for implied in implied_modules(module)))
    return UsedByName(modules, distributions)


def _loaded_by_imports(usage: Usage, loaded: dict[str, tuple[str, ...]],
                       distributions: dict[str, NameUse]) -> None:
    """Each distribution in ``loaded`` that an import of one of its loaders (top-level names, or
    ``zoneinfo``/``backports.zoneinfo`` from the standard library) makes used."""
    by_loader: dict[str, list[str]] = {}
    for normalized, loaders in loaded.items():
        if normalized in distributions:
            continue
        for loader in loaders:
            if loader in distributions:  # the loader is run as a command (uvicorn in a Procfile)
                distributions[normalized] = distributions[loader]
                break
            by_loader.setdefault(loader, []).append(normalized)
    if not by_loader:
        return
    if any(loader.startswith(("zoneinfo", "backports.")) for loader in by_loader):  # stdlib: not third-party
        for path, scan in usage.scanned.items():
            for index, module in enumerate(scan.modules):
                for normalized in by_loader.pop(module, ()) if module in _STDLIB_LOADERS else ():
                    distributions.setdefault(normalized, NameUse(path, scan.statement_at(index).line + 1,
                                                                 f"loaded by {module} when installed"))
    for item in usage.third_party:
        if not by_loader:
            return
        found = by_loader.pop(item.top, None) or by_loader.pop(item.module, None)
        for normalized in found or ():
            distributions.setdefault(normalized, NameUse(item.file, item.statement.line + 1,
                                                         f"loaded by {item.module} when installed"))
