"""What related projects import, for VS303: a uv workspace root's development groups serve the whole workspace
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
from pathlib import Path

from venvsense.firstparty import enclosing_project, first_party_modules, workspace_member_folders
from venvsense.imports import ScanResult, iter_python_files, scan_files
from venvsense.tomlfile import TomlFile
from venvsense.tree import walk


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
    files = list(iter_python_files(folder, ignore_rules=True))
    return {module for scan in scan_files(files).values() for module in scan.absolute_modules()}


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
