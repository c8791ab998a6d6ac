"""The one manifest policy: which files are manifests, which folders are never searched, how globs match.

Discovery (``workspace``), the import walk, the language server's document routing and its file watchers
read these names from here; the VS Code extension's copies (``package.json``, ``server.ts``) are checked
against them by a test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

# Manifests recognised by their exact file name.
MANIFEST_NAMES = frozenset({"pyproject.toml", "setup.cfg", ".python-version", "Pipfile"})
# A folder holding one of these files (or a requirements file, or a ``requirements/`` folder) is a project root.
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile")
_MARKER_NAMES = frozenset(PROJECT_MARKERS)
REQUIREMENTS_SUFFIXES = (".txt", ".in")
REQUIREMENTS_FOLDER = "requirements"
# The first of these that exists is the project's main requirements file (``requirements.in`` when none does).
MAIN_REQUIREMENTS = (
    "requirements.txt", "requirements/base.txt", "requirements/main.txt", "requirements/prod.txt",
    "requirements/production.txt", "requirements/common.txt", "requirements/requirements.txt",
)

# Folders never searched for projects nor for Python files, by their name alone: VCS metadata, tool caches and
# environments, installed code. Nobody's importable code lives in them (most names are not even importable).
# Besides these (see ``venvsense.tree``): a folder holding ``pyvenv.cfg`` (a venv), a ``build``/``dist`` folder
# at a project's root holding build artefacts (``is_build_output``), ``*.egg-info``, and what the project's git
# ignore rules ignore. A folder merely *named* ``build``, ``dist``, ``env`` or ``venv`` elsewhere is searched.
SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", "__pycache__", ".tox", ".nox", ".eggs",
    "site-packages", "dist-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea",
    ".vscode", ".venv", ".direnv", "__pypackages__",
})
# Folders that are build output at a project's root when they hold build artefacts (``is_build_output``).
BUILD_OUTPUT_DIRECTORIES = frozenset({"build", "dist"})
_BUILD_FOLDER_PREFIXES = ("lib", "bdist.", "temp.", "scripts-")
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip", ".egg", ".tar.bz2")

# What an editor is asked to watch (LSP ``workspace/didChangeWatchedFiles``), in the LSP glob dialect.
WATCH_GLOBS = (
    "**/*requirements*.txt",
    "**/*requirements*.in",
    "**/requirements/**/*.txt",
    "**/requirements/**/*.in",
    "**/pyproject.toml",
    "**/setup.cfg",
    "**/.python-version",
    "**/Pipfile",
    # what tox's and Hatch's environments declare (``declarations.tox``, ``declarations.pyproject.hatch``)
    "**/tox.ini",
    "**/hatch.toml",
    # lock files (``declarations.locks.LOCK_NAMES``, which a test compares): a pull, a branch switch or
    # ``uv lock`` in a terminal changes them, and the venv's standing with them
    "**/uv.lock",
    "**/poetry.lock",
    "**/pylock.toml",
    "**/pylock.*.toml",
    "**/Pipfile.lock",
    "**/pdm.lock",
)


def is_constraints_name(name: str) -> bool:
    """A ``constraints*.txt``/``*.in`` file: pip reads it only through ``-c`` (or ``-r``) from a requirements
    file, never as a requirements file of its own (also inside a ``requirements/`` folder)."""
    return name.lower().startswith("constraint")


def is_requirements_name(path: Path, root: Path) -> bool:
    """A ``*.txt``/``*.in`` file whose name contains "requirements", or any such file in a ``requirements/``
    folder at any depth under ``root`` — never a ``constraints*`` file."""
    if path.suffix.lower() not in REQUIREMENTS_SUFFIXES or is_constraints_name(path.name):
        return False
    if REQUIREMENTS_FOLDER in path.name.lower():
        return True
    try:
        folders = path.relative_to(root).parts[:-1]
    except ValueError:
        folders = path.parts[:-1]
    return any(folder.lower() == REQUIREMENTS_FOLDER for folder in folders)


def is_manifest(path: Path, root: Path) -> bool:
    """Whether ``path`` is a manifest of a project rooted at ``root`` by name alone (no configured globs)."""
    return path.name in MANIFEST_NAMES or is_requirements_name(path, root)


def is_environment_folder(path: str | os.PathLike[str]) -> bool:
    """A venv: a folder holding ``pyvenv.cfg``."""
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def is_skipped_name(name: str) -> bool:
    """A folder skipped by its name alone (``SKIPPED_DIRECTORIES``, ``*.egg-info``)."""
    return name in SKIPPED_DIRECTORIES or name.endswith(".egg-info")


def is_skipped_folder(name: str, path: str | os.PathLike[str]) -> bool:
    """A folder never searched: by its name, or because it is a venv."""
    return is_skipped_name(name) or is_environment_folder(path)


def is_build_output(name: str, files: Iterable[str], folders: Iterable[str]) -> bool:
    """Whether a ``build``/``dist`` folder at a project's root (``name``), with these entries, holds build
    artefacts: ``build/lib*``, ``build/bdist.*``, ``build/temp.*``, ``build/scripts-*``; ``dist/*.whl``,
    ``dist/*.tar.gz``, ``dist/*.zip``, ``dist/*.egg``; or a ``*.egg-info`` folder in either."""
    if any(folder.endswith(".egg-info") for folder in folders):
        return True
    if name == "build":
        return any(folder.startswith(_BUILD_FOLDER_PREFIXES) for folder in folders)
    if name == "dist":
        return any(file.endswith(_DIST_SUFFIXES) for file in files)
    return False


def is_requirements_file_name(name: str) -> bool:
    """A requirements file by its name alone: ``*.txt``/``*.in`` naming "requirements", not ``constraints*``."""
    lower = name.lower()
    return lower.endswith(REQUIREMENTS_SUFFIXES) and REQUIREMENTS_FOLDER in lower and not is_constraints_name(name)


def is_project_listing(files: Iterable[str], folders: Iterable[str]) -> bool:
    """Whether a folder with these entries (names) is a project root: it holds a project marker file, a
    requirements file or a ``requirements/`` folder (``model.discovery.is_project_root`` on a listing)."""
    if REQUIREMENTS_FOLDER in folders:
        return True
    names = files if isinstance(files, (set, frozenset)) else set(files)
    markers = _MARKER_NAMES.intersection(names)
    return bool(markers and not module_setup_py(markers, names)) or any(
        name.endswith(REQUIREMENTS_SUFFIXES) and is_requirements_file_name(name) for name in names)


def module_setup_py(markers: Iterable[str], names: Iterable[str]) -> bool:
    """Whether a folder whose project markers are ``markers`` and which holds the files ``names`` has a
    ``setup.py`` that is a module of a package, not a project's manifest: its only marker, beside an
    ``__init__.py`` (pdm's ``src/pdm/models/setup.py``, the module that reads other projects' setup files)."""
    return set(markers) == {"setup.py"} and "__init__.py" in names


# --- globs (one dialect: ``*`` and ``?`` stay within a path segment, ``**`` spans segments) ------------------


@lru_cache(maxsize=256)
def glob_pattern(glob: str) -> re.Pattern[str]:
    """A compiled pattern matching project-relative POSIX paths against ``glob``."""
    glob = glob.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = glob[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
                continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_matches(relative: str, glob: str) -> bool:
    """Whether the project-relative POSIX path ``relative`` matches ``glob``."""
    return glob_pattern(glob).match(relative) is not None


def glob_files(root: Path, glob: str) -> list[Path]:
    """The files under ``root`` matching ``glob`` in the one dialect (``glob_matches``), sorted; the walk starts at
    the glob's literal leading folders and skips the policy's folders. Nothing outside ``root`` is ever given:
    an absolute glob, one that leaves through ``..``, a linked folder or file pointing out of it match nothing
    (``config`` reports such globs as configuration errors)."""
    if glob.startswith(("/", "\\")) or ".." in Path(glob).parts or Path(glob).is_absolute():
        return []
    pattern = glob_pattern(glob)
    parts = glob.lstrip("/").split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if any(char in part for char in "*?["):
            break
        literal.append(part)
    start = root.joinpath(*literal)
    # without ``**`` a glob reaches a fixed depth below its literal folders: walk no deeper
    depth = None if "**" in glob else len(parts) - 1 - len(literal)
    inside = os.path.realpath(root)
    if not _within(os.path.realpath(start), inside):
        return []  # a literal folder that is a link out of the project
    found: list[Path] = []
    top = os.fspath(root)
    for folder, folders, files in os.walk(start):
        below = 0 if folder == str(start) else Path(folder).relative_to(start).as_posix().count("/") + 1
        if depth is not None and below >= depth:
            folders[:] = []
        else:
            folders[:] = [name for name in folders if not is_skipped_folder(name, os.path.join(folder, name))
                          and not (folder == top and _holds_build_output(os.path.join(folder, name), name))]
        base = Path(folder)
        for name in files:
            path = base / name
            if pattern.match(path.relative_to(root).as_posix()) is not None and (
                    not path.is_symlink() or _within(os.path.realpath(path), inside)):
                found.append(path)
    return sorted(found)


def _holds_build_output(path: str, name: str) -> bool:
    if name not in BUILD_OUTPUT_DIRECTORIES:
        return False
    try:
        with os.scandir(path) as scan:
            entries = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in scan]
    except OSError:
        return False
    return is_build_output(name, [n for n, is_dir in entries if not is_dir], [n for n, is_dir in entries if is_dir])


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
