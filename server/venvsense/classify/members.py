"""What a uv workspace's members import: a workspace root's development groups serve the whole workspace
(`uv sync` installs them with every member), so a root declaration that only a member's code imports is used —
not "declared but never imported" (the MCP SDK's root `dev` group holds `pillow` for `examples/snippets`)."""

from __future__ import annotations

from pathlib import Path

from venvsense.firstparty import workspace_member_folders
from venvsense.imports import iter_python_files, scan_files
from venvsense.tomlfile import TomlFile


def imported_by_workspace_members(root: Path, pyproject_toml: TomlFile | None = None) -> set[str]:
    """Every module (dotted, as written, absolute imports only) that the members of the uv workspace at ``root``
    import; empty when ``root`` is no workspace root. Members' files are scanned through the scan cache (one
    ``stat`` per file when the members were checked already)."""
    modules: set[str] = set()
    for folder in workspace_member_folders(root, pyproject_toml):
        files = list(iter_python_files(folder, ignore_rules=True))
        for scan in scan_files(files).values():
            modules.update(statement.module for statement in scan.imports if statement.level == 0)
    return modules
