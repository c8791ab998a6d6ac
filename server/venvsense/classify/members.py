"""The uv workspace a project belongs to (``workspace_of``: its root, members and their import names), and what
related projects import, for VS303: a uv workspace root's development groups serve the whole workspace
(`uv sync` installs them with every member), so a root declaration that only a member's code imports is used
(the MCP SDK's root `dev` group holds `pillow` for `examples/snippets`); and a nested project that imports the
project enclosing it (a `docs/` project whose Sphinx autodoc imports the package) needs what that package
imports (scrapy's `docs/requirements.in` declares `h2` for autodoc of `scrapy.core.http2`); and a project whose
tests run its documentation's code blocks (sybil) needs what those blocks import (scrapy's docs declare
`pydantic` for `from pydantic import BaseModel` in `topics/spiders.rst`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.caches import MemoryCache
from venvsense.firstparty import enclosing_project, first_party_modules, run_memo, workspace_member_folders
from venvsense.imports import ScanResult, iter_python_files, scan_files
from venvsense.tomlfile import TomlFile, read_toml
from venvsense.tree import folders_above, walk


@dataclass(frozen=True)
class Member:
    """One member of a uv workspace: its distribution (``[project] name``, normalized), folder and top-level
    import names."""

    name: str
    folder: Path
    modules: frozenset[str]


@dataclass(frozen=True)
class Workspace:
    """A uv workspace (``[tool.uv.workspace] members``/``exclude`` globs at its root): its root folder, its members
    (the root's own project not among them) and which of them the project asked about is (``member``; ``None``
    for the root)."""

    root: Path
    members: tuple[Member, ...]
    member: Member | None

    def named(self, name: str) -> Member | None:
        wanted = canonicalize_name(name)
        return next((m for m in self.members if m.name == wanted), None)

    def providing(self, module: str) -> Member | None:
        """The member whose package ``module`` (dotted) is."""
        top = module.partition(".")[0]
        return next((m for m in self.members if top in m.modules), None)


def _is_workspace_root(pyproject_toml: TomlFile) -> bool:
    return isinstance(pyproject_toml.table("tool", "uv").get("workspace"), Mapping)


# A workspace's members by its root, checked on every use: each member's pyproject.toml, folder and src/ folder,
# and the folders its globs expanded in, must have the mtimes they had (one stat each).
_Fingerprint = tuple[tuple[str, int], ...]
_MEMBERS: MemoryCache[tuple[Path, str], tuple[_Fingerprint, tuple[Member, ...]]] = MemoryCache(
    name="classify.members.workspaces",
    key="a workspace root and its pyproject.toml's text",
    invalidation="each member's pyproject.toml, folder, src/ folder and the member's parent folder (where a new "
                 "member appears) are stat-ed on every use; any changed mtime reads the members again",
    owner="the process: a member's re-check (each keystroke in the editor) reads no member's files again",
    limit=64,
)


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _fingerprint(root: Path, pyproject_toml: TomlFile, members: Iterable[Member]) -> _Fingerprint:
    paths: dict[str, None] = {}
    globs = pyproject_toml.table("tool", "uv", "workspace").get("members")
    for pattern in globs if isinstance(globs, list) else []:  # where a member not there yet would appear
        if isinstance(pattern, str):
            literal = [part for part in pattern.split("*")[0].split("[")[0].split("?")[0].split("/")[:-1] if part]
            paths.setdefault(os.path.join(root, *literal), None)
    for member in members:
        folder = str(member.folder)
        for path in (os.path.join(folder, "pyproject.toml"), folder, os.path.join(folder, "src"),
                     os.path.dirname(folder)):
            paths.setdefault(path, None)
    return tuple((path, _mtime(path)) for path in paths)


def _members(root: Path, pyproject_toml: TomlFile) -> tuple[Member, ...]:
    key = (root, pyproject_toml.text or "")
    cached = _MEMBERS.get(key)
    if cached is not None and all(_mtime(path) == mtime for path, mtime in cached[0]):
        return cached[1]
    members = _read_members(root, pyproject_toml)
    _MEMBERS.put(key, (_fingerprint(root, pyproject_toml, members), members))
    return members


def _read_members(root: Path, pyproject_toml: TomlFile) -> tuple[Member, ...]:
    found: list[Member] = []
    for folder in workspace_member_folders(root, pyproject_toml):
        member_toml = read_toml(folder / "pyproject.toml")
        name = member_toml.table("project").get("name")
        if isinstance(name, str) and name:
            # a src layout's folder is where the packages are, not a package others import
            modules = first_party_modules(folder, pyproject_toml=member_toml) - {"src"}
            found.append(Member(canonicalize_name(name), folder, modules))
    return tuple(found)


def workspace_of(project_root: Path, pyproject_toml: TomlFile | None = None) -> Workspace | None:
    """The uv workspace ``project_root`` is the root or a member of (the nearest folder above holding a
    ``pyproject.toml`` with ``[tool.uv.workspace]`` whose members include it, up to the repository's root), read
    statically; ``None`` when it belongs to none. ``pyproject_toml``: the project's own, as the check read it."""
    if pyproject_toml is None and (project_root / "pyproject.toml").is_file():
        pyproject_toml = read_toml(project_root / "pyproject.toml")
    if pyproject_toml is not None and _is_workspace_root(pyproject_toml):
        return Workspace(project_root, _members(project_root, pyproject_toml), None)
    resolved = project_root.resolve()
    for folder in folders_above(project_root):
        path = folder / "pyproject.toml"
        if not path.is_file():
            continue
        candidate = read_toml(path)
        if not _is_workspace_root(candidate):
            continue
        members = _members(folder, candidate)
        own = next((m for m in members if m.folder.resolve() == resolved), None)
        if own is not None:
            return Workspace(folder, members, own)
    return None


def imported_by_workspace_members(root: Path, pyproject_toml: TomlFile | None = None) -> set[str]:
    """Every module (dotted, as written, absolute imports only) that the members of the uv workspace at ``root``
    import; empty when ``root`` is no workspace root. Members' files are scanned through the scan cache (one
    ``stat`` per file when the members were checked already)."""
    modules: set[str] = set()
    for folder in workspace_member_folders(root, pyproject_toml):
        modules |= _imported_under(folder)
    return modules


def imported_by_enclosing_project(root: Path, scanned: Mapping[Path, ScanResult]) -> set[str]:
    """Every module the project enclosing ``root`` imports, when the project at ``root`` (its files' scans in
    ``scanned``) imports that enclosing project; else empty."""
    enclosing = enclosing_project(root)
    if enclosing is None:
        return set()
    names = first_party_modules(enclosing)
    if not names or not any(top in names for top in _tops(scanned.values())):
        return set()
    return _imported_under(enclosing)


def _tops(scans: Iterable[ScanResult]) -> Iterable[str]:
    for scan in scans:
        for module in scan.absolute_modules():
            yield module.partition(".")[0]


def _imported_under(folder: Path) -> set[str]:
    run = run_memo()  # (once per folder in a run: a workspace's root is asked about by its members too)
    key = ("classify.members.imported_under", folder)
    found: frozenset[str] | None = run.get(key) if run is not None else None
    if found is None:
        files = list(iter_python_files(folder, ignore_rules=True))
        found = frozenset(module for scan in scan_files(files).values() for module in scan.absolute_modules())
        if run is not None:
            run[key] = found
    return set(found)


# the tools that run a project's documentation as tests (its code blocks and `>>>` examples)
_DOC_RUNNERS = frozenset({"sybil"})
_DOC_SUFFIXES = (".rst", ".md", ".txt")
_DOC_IMPORT = re.compile(
    r"^[ \t]*(?:>>>[ \t]+)?(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([A-Za-z_][\w.]*))",
    re.MULTILINE)
_MAX_DOC_BYTES = 4 * 1024 * 1024


def imported_by_doc_examples(root: Path, scanned: Mapping[Path, ScanResult]) -> set[str]:
    """The modules the code blocks of the project's documentation files import, when the project runs them as
    tests (a file of it imports sybil); else empty."""
    if not any(top in _DOC_RUNNERS for top in _tops(scanned.values())):
        return set()
    modules: set[str] = set()
    for listing in walk(root):
        for name in listing.files:
            if not name.endswith(_DOC_SUFFIXES):
                continue
            try:
                with open(os.path.join(listing.path, name), "rb") as handle:
                    text = handle.read(_MAX_DOC_BYTES).decode("utf-8", "replace")
            except OSError:
                continue
            modules.update(match.group(1) or match.group(2) for match in _DOC_IMPORT.finditer(text))
    return modules
