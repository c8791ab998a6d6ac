"""Discovery: which folders of a workspace are project roots, and which manifest files each project has.

What counts as a manifest, which folders are never searched and how configured globs match are decided by
``venvsense.manifests``; this module only walks the file system with that policy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from venvsense.imports import scan_file
from venvsense.manifests import (
    MAIN_REQUIREMENTS,
    PROJECT_MARKERS,
    REQUIREMENTS_FOLDER,
    REQUIREMENTS_SUFFIXES,
    glob_files,
    is_constraints_name,
    is_requirements_name,
)
from venvsense.stdlib import is_stdlib
from venvsense.tree import Entries, Listing, entries, folders_above, walk


@dataclass(frozen=True)
class Project:
    """A project root and the manifest files found in it.

    ``requirements`` lists every requirements file of the project (root and ``requirements/``, then those
    matched by configured globs), the main one (``main_requirements``) first. ``single_manifest`` is set when
    the user named one manifest file: then only that file (and what it includes) is read.
    """

    root: Path
    requirements: tuple[Path, ...] = ()
    main_requirements: tuple[Path, ...] = ()
    pyproject: Path | None = None
    setup_cfg: Path | None = None
    setup_py: Path | None = None
    python_version: Path | None = None
    single_manifest: Path | None = None
    pipfile: Path | None = None

    @property
    def manifestless(self) -> bool:
        """A folder of Python files with no manifest (a requirements file, ``pyproject.toml``, ``setup.cfg``,
        ``setup.py``, ``Pipfile``) at or above it: what its code imports is all it says about what it needs."""
        return not (self.requirements or self.pyproject or self.setup_cfg or self.setup_py
                    or self.single_manifest or (self.root / "Pipfile").is_file())


def _requirements_files(root: Path, listed: Entries | None) -> list[Path]:
    found: list[Path] = []
    if listed is None:
        return found
    files, folders = set(listed.files), set(listed.folders)
    for name in sorted(listed.files + listed.folders + listed.links):
        path = root / name
        if name not in files and name not in folders:  # a link: only to what is inside the root
            link = os.path.join(root, name)
            if not _links_inside(link, root):
                continue
            if os.path.isfile(link) and is_requirements_name(path, root):
                found.append(path)
            elif name.lower() == REQUIREMENTS_FOLDER and os.path.isdir(link):
                found.extend(_files_under(path, root))
        elif name in files:
            if is_requirements_name(path, root):
                found.append(path)
        elif name.lower() == REQUIREMENTS_FOLDER:
            found.extend(_files_under(path, root))
    return found


def _is_file(root: Path, listed: Entries | None, name: str) -> bool:
    """``(root / name).is_file()`` from the root's listing: a regular file, or a link to one."""
    if listed is None or "/" in name:
        return (root / name).is_file()
    return name in listed.files or (name in listed.links and os.path.isfile(os.path.join(root, name)))


def _files_under(folder: Path, root: Path) -> list[Path]:
    found: list[Path] = []
    for listing in walk(folder, ignore_rules=False):
        linked = [name for name in listing.links if _links_inside(os.path.join(listing.path, name), root)
                  and os.path.isfile(os.path.join(listing.path, name))]
        found.extend(Path(listing.path, name) for name in sorted(listing.files + linked)
                     if name.endswith(REQUIREMENTS_SUFFIXES) and not is_constraints_name(name))
    return found


def _links_inside(link: str, folder: str | os.PathLike[str]) -> bool:
    """Whether the symbolic link ``link`` resolves to a path inside ``folder`` (never read outside it)."""
    target = os.path.realpath(link)
    inside = os.path.realpath(folder)
    return target == inside or target.startswith(inside.rstrip(os.sep) + os.sep)


def is_project_root(folder: Path) -> bool:
    """A folder holding a project marker file, a ``requirements/`` folder or a requirements file."""
    for marker in PROJECT_MARKERS:
        if marker != "setup.py" and (folder / marker).is_file():
            return True
    # a setup.py beside an __init__.py is a package's module (``manifests.module_setup_py``)
    if (folder / "setup.py").is_file() and not (folder / "__init__.py").is_file():
        return True
    if (folder / REQUIREMENTS_FOLDER).is_dir():
        return True
    try:
        # the name first: a folder of thousands of modules costs no `Path` and no `stat` per file
        return any(
            e.name.endswith(REQUIREMENTS_SUFFIXES) and e.is_file() and is_requirements_name(Path(e.path), folder)
            for e in os.scandir(folder)
        )
    except OSError:
        return False


def project_at(root: Path, requirement_globs: Iterable[str] = ()) -> Project:
    """The project rooted at ``root`` with its manifests; ``requirement_globs`` (configured) add requirement
    files."""
    listed = entries(os.fspath(root))  # the walk's listing when it is unchanged: no stat per manifest name
    requirements = _requirements_files(root, listed)
    for pattern in requirement_globs:
        for path in glob_files(root, pattern):
            if path not in requirements:
                requirements.append(path)
    main = [root / name for name in MAIN_REQUIREMENTS if _is_file(root, listed, name)]
    if not main and _is_file(root, listed, "requirements.in"):
        main = [root / "requirements.in"]
    main = main[:1]
    ordered = main + [p for p in requirements if p not in main]

    def manifest(name: str) -> Path | None:
        return root / name if _is_file(root, listed, name) else None

    return Project(
        root=root,
        requirements=tuple(ordered),
        main_requirements=tuple(main),
        pyproject=manifest("pyproject.toml"),
        setup_cfg=manifest("setup.cfg"),
        setup_py=manifest("setup.py"),
        python_version=manifest(".python-version"),
        pipfile=manifest("Pipfile"),
    )


def project_for_file(manifest: Path) -> Project:
    """A project made of one manifest file, rooted in its folder (``venvsense check requirements-dev.txt``)."""
    manifest = manifest.resolve()
    root = manifest.parent
    if manifest.suffix == ".py":  # a module (a PEP 723 script): the project it is in, else its folder
        return project_at(project_root_of(manifest))
    python_version = project_at(root).python_version
    name = manifest.name
    if name == "pyproject.toml":
        return Project(root=root, pyproject=manifest, python_version=python_version, single_manifest=manifest)
    if name == "setup.cfg":
        return Project(root=root, setup_cfg=manifest, python_version=python_version, single_manifest=manifest)
    if name == "Pipfile":
        return Project(root=root, pipfile=manifest, python_version=python_version, single_manifest=manifest)
    return Project(root=root, requirements=(manifest,), main_requirements=(manifest,),
                   python_version=python_version, single_manifest=manifest)


def project_root_of(path: Path) -> Path:
    """The root of the project holding the file ``path``: its folder or the nearest project folder above it
    (within the repository, below the home folder), else its folder."""
    folder = path.parent
    if is_project_root(folder):
        return folder
    return next((above for above in folders_above(folder) if is_project_root(above)), folder)


def find_projects(path: Path, requirement_globs: Iterable[str] = ()) -> list[Project]:
    """Every project root at or under ``path`` (nested projects are separate), or ``path`` itself if none.

    Raises ``FileNotFoundError`` when ``path`` does not exist. A file is taken as a single manifest.
    """
    path = path.resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file():
        return [project_for_file(path)]
    globs = tuple(requirement_globs)
    roots = list(_walk_roots(path))
    if not roots:
        roots = [path]
    return [project_at(root, globs) for root in roots]


def _walk_roots(top: Path) -> Iterator[Path]:
    """Project roots at or under ``top``, depth first in name order, walked as ``venvsense.tree.walk`` walks
    (never through a symbolic link, so never out of ``top``; git's ignore rules honoured).

    A root is a folder holding a manifest (nested projects are projects of their own), or a folder with no
    manifest at or above it (up to ``top``) whose own Python files or notebooks import a third-party module
    (``imports_third_party``): the first such folder on each branch, whose sub-folders are its own (unless
    they hold a manifest). Folders of loose scripts inside a project are that project's, never projects."""
    claimed: set[str] = set()  # the relative paths of the roots found so far ("" for ``top``)
    for listing in walk(top):
        relative = listing.relative
        if relative and test_data_folder(relative):
            # the projects a test suite builds on (poetry's tests/fixtures/*, pip's tests/data/*): data of the
            # project around them, never projects of their own (unless asked for by name: then it is ``top``)
            listing.folders[:] = []
            continue
        root = listing.is_project()
        if not root and not _under(relative, claimed) and imports_third_party(listing):
            root = True
        if root:
            claimed.add(relative)
            yield Path(listing.path)
        # hidden folders hold tool state, not projects; .github holds workflow requirement files
        listing.folders[:] = [
            name for name in listing.folders
            if not (root and name.lower() == REQUIREMENTS_FOLDER) and (not name.startswith(".") or name == ".github")
        ]


# folders of test data: anywhere, and below a `tests`/`test` folder
_TEST_DATA = frozenset({"testdata", "test_data", "test-data"})
_TEST_DATA_IN_TESTS = frozenset({"fixtures", "fixture", "data"})


def test_data_folder(relative: str) -> bool:
    """Whether the folder at ``relative`` (POSIX, below the top) is test data or lies in some: a ``testdata`` /
    ``test_data`` / ``test-data`` folder, or a ``fixtures`` / ``data`` folder inside a ``tests``/``test`` folder."""
    parts = relative.strip("/").lower().split("/")
    in_tests = False
    for part in parts:
        if part in _TEST_DATA or (in_tests and part in _TEST_DATA_IN_TESTS):
            return True
        in_tests = in_tests or part in ("tests", "test")
    return False


def _under(relative: str, claimed: set[str]) -> bool:
    """Whether the folder at ``relative`` (POSIX, ending with "/", "" for the top) is at or under a claimed one."""
    if not claimed:
        return False
    if "" in claimed:
        return True
    end = relative.find("/")
    while end != -1:
        if relative[:end + 1] in claimed:
            return True
        end = relative.find("/", end + 1)
    return False


_SOURCE_SUFFIXES = (".py", ".ipynb")


def imports_third_party(listing: Listing) -> bool:
    """Whether a folder's own Python files or notebooks (not its sub-folders') import a module that is neither
    the standard library (of the Python running venvsense) nor local code beside them (a module or package of
    the folder), outside ``try/except ImportError`` and ``if TYPE_CHECKING:``: a folder with no manifest is a
    project only when its code needs something installed. Scans go through the scan cache (the check that
    follows reads them from there)."""
    names = [name for name in listing.files if name.endswith(_SOURCE_SUFFIXES)]
    if not names:
        return False
    names = listing.kept_files(names)
    local = {name.rpartition(".")[0] for name in names} | set(listing.folders)
    base = Path(listing.path)
    for name in names:  # file by file: the first third-party import settles it
        scan = scan_file(base / name)
        for statement in scan.imports:
            if statement.level or statement.optional or statement.type_checking:
                continue
            top = statement.module.partition(".")[0]
            if top and top not in local and not is_stdlib(top) and not top.startswith("_"):
                return True
    return False
