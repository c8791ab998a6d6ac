"""A lock file as data, whatever its format: the packages it pins, how they depend on each other, and where.

The readers (``uv.py``, ``poetry.py``, ``pylock.py``, ``pipfile.py``, ``pdm.py``) each turn one format's text into a
``Lock``; they are total (bad input gives a ``Lock`` whose ``error`` says what and where, never an exception).
Each reader module also answers two questions the rules ask, with the functions ``LockFormat`` names:

- ``select(lock, target, manifests)``: which locked packages the project's tool installs into a venv (markers
  evaluated for that venv, the default groups/extras the tool installs, which may be configured in a manifest,
  e.g. ``[tool.uv] default-groups``) — what ``uv sync --check`` compares;
- ``outdated(lock, manifests)``: where the lock no longer matches the manifest(s) it was made from — what
  ``uv lock --check`` / ``poetry check --lock`` / ``pipenv verify`` say.

Everything here is frozen; names are canonical (PEP 503); lines and columns are 0-based.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from packaging.markers import Marker

from venvsense.text import Range

LockKind = Literal["uv", "poetry", "pylock", "pipfile", "pdm", "compiled"]
# Where a locked package comes from. ``editable``: a local project installed editable (uv's own project and
# workspace members, ``develop = true``); ``virtual``: a local project that is not installed itself, only its
# dependencies (uv's ``source = { virtual = "." }``); ``directory``: a local project installed non-editable;
# ``path``: a local wheel or sdist file; ``git`` / ``url``: a remote source other than an index.
SourceKind = Literal["registry", "editable", "virtual", "directory", "path", "git", "url"]
LOCAL_SOURCES: frozenset[str] = frozenset({"editable", "virtual", "directory", "path"})


@dataclass(frozen=True, slots=True)
class LockedDependency:
    """One edge of the lock's graph: ``name`` (canonical) with ``extras`` (canonical, sorted), when ``marker``
    holds (``None``: always). ``version`` names which entry when the lock has several of ``name`` (uv's forked
    resolutions), else ``None``. Formats without a graph (Pipfile.lock) leave a package's dependencies empty."""

    name: str
    extras: tuple[str, ...] = ()
    marker: Marker | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class LockedPackage:
    """One package entry of a lock.

    ``version`` is ``None`` when the lock records none (uv's virtual projects, dynamic versions of editable
    members). ``marker`` is the entry's own condition (pylock ``marker``, Pipfile ``markers``, Poetry's
    ``markers``; uv has none per entry): ``None`` means the package is selected whenever something selects it.
    ``dependencies`` are the package's requirements, ``optional`` its extras' requirements (extra → edges),
    ``groups`` its dependency groups' requirements (uv's ``dev-dependencies``, group → edges). Flat formats
    without a graph say instead in which of their sets the package sits: ``categories`` (Pipfile.lock's
    ``default``/``develop``, Poetry's ``groups``; empty for uv). ``location`` is the source's path or URL as
    written (``""`` for an index). ``line`` is the 0-based line of the entry (``[[package]]``, the JSON key).
    """

    name: str
    version: str | None
    source: SourceKind
    line: int
    marker: Marker | None = None
    dependencies: tuple[LockedDependency, ...] = ()
    optional: Mapping[str, tuple[LockedDependency, ...]] = field(default_factory=dict)
    groups: Mapping[str, tuple[LockedDependency, ...]] = field(default_factory=dict)
    categories: frozenset[str] = frozenset()
    location: str = ""


@dataclass(frozen=True, slots=True)
class LockError:
    """Why a lock could not be read (or not all of it): ``message`` for people, at ``range`` in the lock."""

    message: str
    range: Range


@dataclass(frozen=True)
class Lock:
    """One lock file read.

    ``packages`` in file order (a name can appear more than once: uv locks one entry per version when
    markers fork the resolution). ``error`` is set when the file is not a lock of its kind (bad TOML/JSON, a
    missing required key, an unknown format version); then ``packages`` holds what could be read, possibly
    nothing, and no rule may conclude a package is "not in the lock". ``data`` is the parsed document for the
    format's own ``select``/``outdated`` and the actions (empty when it could not be parsed), its entries cut down
    to what those read (``lean_entries``; the archives' hashes and URLs are never kept); ``text`` the text read.
    """

    path: Path
    kind: LockKind
    packages: tuple[LockedPackage, ...] = ()
    error: LockError | None = None
    requires_python: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    text: str = field(default="", repr=False, compare=False)

    def by_name(self, name: str) -> tuple[LockedPackage, ...]:
        """The entries of the canonical ``name`` (usually one)."""
        return tuple(package for package in self.packages if package.name == name)


@dataclass(frozen=True)
class Target:
    """The venv a lock is selected for: PEP 508 marker values (``environment.pipcheck.marker_environment``),
    and what the project's tool would be asked to install: ``extras`` / ``groups`` beyond its defaults
    (``uv sync`` installs ``dev`` and ``[tool.uv] default-groups``, which the format module adds itself)."""

    environment: Mapping[str, str]
    extras: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Selection:
    """What the tool installs for a ``Target``: one locked package per name (``packages``, canonical name →
    entry) and, of those, the project's own local projects (``own``: the root project and workspace members,
    which the rules never count as stray installs). ``error`` when the lock cannot say (then nothing else)."""

    packages: Mapping[str, LockedPackage]
    own: frozenset[str] = frozenset()
    error: str | None = None


@dataclass(frozen=True)
class Staleness:
    """One way the lock no longer matches its manifest: ``message`` for people, placed at ``range`` in ``file``
    (the manifest line that changed where one can be named, else the lock's first line)."""

    message: str
    file: Path
    range: Range


# How a format module reads the manifests for ``outdated``: a file's text (an editor buffer or the file on disk),
# ``None`` when it does not exist or cannot be read.
ManifestText = Callable[[Path], "str | None"]


class LockFormat(Protocol):
    """What each reader module (``venvsense.declarations.locks.<kind>``) provides, as module-level functions."""

    def read(self, path: Path, text: str) -> Lock: ...

    def select(self, lock: Lock, target: Target, manifests: ManifestText) -> Selection: ...

    def outdated(self, lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]: ...


# The lock file names a project may have, in the order one is chosen when there are several (``pylock.*.toml``
# stands for PEP 751's named locks ``pylock.<name>.toml``).
LOCK_NAMES: tuple[tuple[str, LockKind], ...] = (
    ("uv.lock", "uv"),
    ("poetry.lock", "poetry"),
    ("pylock.toml", "pylock"),
    ("pylock.*.toml", "pylock"),
    ("Pipfile.lock", "pipfile"),
    ("pdm.lock", "pdm"),
)


def lean_entries(data: Mapping[str, Any], keep: frozenset[str], key: str = "package") -> Mapping[str, Any]:
    """``data`` with each ``[[key]]`` entry holding only the keys in ``keep``: what the format's ``select`` /
    ``outdated`` and the actions read of an entry from the document (the rest is in the model): a lock's document is
    kept as long as its ``Lock``, and its entries' dependencies are most of it."""
    entries = data.get(key)
    if not isinstance(entries, list):
        return data
    return {**data, key: [{name: value for name, value in entry.items() if name in keep}
                          if isinstance(entry, dict) else entry for entry in entries]}


def lock_kind(path: Path) -> LockKind | None:
    """The kind of lock ``path`` names by its file name, ``None`` for another file."""
    name = path.name
    for pattern, kind in LOCK_NAMES:
        if name == pattern or ("*" in pattern and _is_named_pylock(name)):
            return kind
    return None


def _is_named_pylock(name: str) -> bool:
    # PEP 751: ``pylock.<name>.toml`` with a non-empty name and no further dot
    if not (name.startswith("pylock.") and name.endswith(".toml")):
        return False
    middle = name[len("pylock."):-len(".toml")]
    return bool(middle) and "." not in middle


def find_lock(root: Path) -> Path | None:
    """The lock file the project at ``root`` uses: the first of ``LOCK_NAMES`` present (a regular file, not a
    link leading out of ``root``); of several ``pylock.<name>.toml``, the first by name. ``None`` without one."""
    for pattern, _kind in LOCK_NAMES:
        if "*" not in pattern:
            candidate = root / pattern
            if _own_file(candidate, root):
                return candidate
            continue
        try:
            named = sorted(entry for entry in root.iterdir()
                           if _is_named_pylock(entry.name) and _own_file(entry, root))
        except OSError:
            named = []
        if named:
            return named[0]
    return None


def _own_file(path: Path, root: Path) -> bool:
    if not path.is_file():
        return False
    if not path.is_symlink():
        return True
    try:
        return root.resolve() in path.resolve().parents
    except (OSError, RuntimeError):
        return False
