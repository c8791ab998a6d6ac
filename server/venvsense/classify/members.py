"""What related projects import, for VS303: a uv workspace root's development groups serve the whole workspace
(`uv sync` installs them with every member), so a root declaration that only a member's code imports is used
(the MCP SDK's root `dev` group holds `pillow` for `examples/snippets`); and a nested project that imports the
project enclosing it (a `docs/` project whose Sphinx autodoc imports the package) needs what that package
imports (scrapy's `docs/requirements.in` declares `h2` for autodoc of `scrapy.core.http2`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from venvsense.firstparty import enclosing_project, first_party_modules, workspace_member_folders
from venvsense.imports import ScanResult, iter_python_files, scan_files
from venvsense.tomlfile import TomlFile


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
        for statement in scan.imports:
            if statement.level == 0:
                yield statement.module.partition(".")[0]


def _imported_under(folder: Path) -> set[str]:
    files = list(iter_python_files(folder, ignore_rules=True))
    return {statement.module for scan in scan_files(files).values() for statement in scan.imports
            if statement.level == 0}
