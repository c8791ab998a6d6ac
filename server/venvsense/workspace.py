"""Projects in a workspace: which folders are project roots, and which manifests each one has."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Folders never searched for projects (nor for Python files): tool caches, build output, VCS metadata.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", "build", "dist", ".tox", ".nox", ".eggs",
    "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".idea", ".vscode",
})
MAIN_REQUIREMENTS = (
    "requirements.txt", "requirements/base.txt", "requirements/main.txt", "requirements/prod.txt",
    "requirements/production.txt", "requirements/common.txt", "requirements/requirements.txt",
)


def is_requirements_name(path: Path, root: Path) -> bool:
    """A ``*.txt``/``*.in`` file whose name contains "requirements", or any such file in a ``requirements/`` folder."""
    if path.suffix not in (".txt", ".in"):
        return False
    if "requirements" in path.name.lower():
        return True
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        parts = path.parts[:-1]
    return "requirements" in (p.lower() for p in parts)


def is_environment_dir(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def skipped_dir(name: str, path: Path) -> bool:
    return name in SKIPPED_DIRS or name.endswith(".egg-info") or is_environment_dir(path)


@dataclass(frozen=True)
class Project:
    """A project root and its manifests.

    ``requirements`` lists every requirements file of the project (root and ``requirements/``), the main
    ones (``main_requirements``) first. ``only`` is set when the user named a single manifest file: then only
    that file (and what it includes) is read.
    """

    root: Path
    requirements: tuple[Path, ...] = ()
    main_requirements: tuple[Path, ...] = ()
    pyproject: Path | None = None
    setup_cfg: Path | None = None
    python_version: Path | None = None
    only: Path | None = None
    extra: tuple[Path, ...] = field(default=())

    @property
    def manifests(self) -> tuple[Path, ...]:
        found = [*self.requirements, *(p for p in (self.pyproject, self.setup_cfg) if p)]
        return tuple(found)


def _requirements_files(root: Path) -> list[Path]:
    found: list[Path] = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_file() and is_requirements_name(path, root):
                found.append(path)
            elif entry.is_dir() and entry.name.lower() == "requirements":
                found.extend(_files_under(path))
        except OSError:
            continue
    return found


def _files_under(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        found.extend(Path(dirpath, f) for f in sorted(filenames) if f.endswith((".txt", ".in")))
    return found


def is_project_root(folder: Path) -> bool:
    for marker in ("pyproject.toml", "setup.cfg", "Pipfile"):
        if (folder / marker).is_file():
            return True
    if (folder / "requirements").is_dir():
        return True
    try:
        # the name first: a folder of thousands of modules costs no `Path` and no `stat` per file
        return any(
            e.name.endswith((".txt", ".in")) and e.is_file() and is_requirements_name(Path(e.path), folder)
            for e in os.scandir(folder)
        )
    except OSError:
        return False


def project_at(root: Path, extra_globs: Iterable[str] = ()) -> Project:
    """The project rooted at ``root`` with its manifests."""
    requirements = _requirements_files(root)
    for pattern in extra_globs:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and path not in requirements:
                requirements.append(path)
    main = [root / name for name in MAIN_REQUIREMENTS if (root / name).is_file()]
    if not main and (root / "requirements.in").is_file():
        main = [root / "requirements.in"]
    main = main[:1]
    ordered = main + [p for p in requirements if p not in main]
    pyproject = root / "pyproject.toml"
    setup_cfg = root / "setup.cfg"
    python_version = root / ".python-version"
    return Project(
        root=root,
        requirements=tuple(ordered),
        main_requirements=tuple(main),
        pyproject=pyproject if pyproject.is_file() else None,
        setup_cfg=setup_cfg if setup_cfg.is_file() else None,
        python_version=python_version if python_version.is_file() else None,
    )


def project_for_file(manifest: Path) -> Project:
    """A project made of one manifest file, rooted in its folder (``venvsense check requirements-dev.txt``)."""
    manifest = manifest.resolve()
    root = manifest.parent
    base = project_at(root)
    name = manifest.name
    if name == "pyproject.toml":
        return Project(root=root, pyproject=manifest, python_version=base.python_version, only=manifest)
    if name == "setup.cfg":
        return Project(root=root, setup_cfg=manifest, python_version=base.python_version, only=manifest)
    return Project(root=root, requirements=(manifest,), main_requirements=(manifest,),
                   python_version=base.python_version, only=manifest)


def find_projects(path: Path, extra_globs: Iterable[str] = ()) -> list[Project]:
    """Every project root at or under ``path`` (nested projects are separate), or ``path`` itself if none.

    Raises ``FileNotFoundError`` when ``path`` does not exist. A file is taken as a single manifest.
    """
    path = path.resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file():
        return [project_for_file(path)]
    globs = tuple(extra_globs)
    roots = list(_walk_roots(path))
    if not roots:
        roots = [path]
    return [project_at(root, globs) for root in roots]


def _walk_roots(top: Path) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        root = is_project_root(folder)
        if root:
            yield folder
        try:
            children = sorted(
                (Path(e.path) for e in os.scandir(folder) if e.is_dir()), key=lambda p: p.name, reverse=True
            )
        except OSError:
            continue
        for child in children:
            if skipped_dir(child.name, child) or (root and child.name.lower() == "requirements"):
                continue
            if child.name.startswith(".") and child.name not in (".github",):
                continue
            stack.append(child)
