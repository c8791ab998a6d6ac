"""Where a dependency comes from when a tool table says so (Poetry's and uv's ``git``, ``path``, ``url``, uv's
``workspace``), and giving that source to the ``[project]`` declarations of the package."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.declarations import Kind
from venvsense.declarations.pyproject.document import PyprojectDocument

__all__ = ["apply_source", "source_of"]


def apply_source(document: PyprojectDocument, name: str, value: object) -> None:
    """Give [project] declarations of ``name`` the source a tool table sets for it (path, git, ...)."""
    tables = value if isinstance(value, list) else [value]
    for table in tables:
        source = source_of(table, document.path.parent) if isinstance(table, dict) else None
        if source is None:
            continue
        kind, url = source
        document.manifest.declarations = [
            replace(d, kind=kind, url=url) if d.normalized == canonicalize_name(name)
            and d.kind == "registry" else d
            for d in document.manifest.declarations]
        return


def source_of(table: Mapping[str, object], root: Path) -> tuple[Kind, str | None] | None:
    """Kind and URL of a Poetry or uv source table (``git``, ``path``, ``url``, uv's ``workspace``)."""
    editable = table.get("develop") is True or table.get("editable") is True
    git = table.get("git")
    if isinstance(git, str):
        url = git if git.startswith("git+") else "git+" + _scp_to_ssh(git)
        for ref in ("rev", "tag", "branch"):
            if isinstance(table.get(ref), str):
                url += f"@{table[ref]}"
                break
        if isinstance(table.get("subdirectory"), str):
            url += f"#subdirectory={table['subdirectory']}"
        return ("editable" if editable else "url"), url
    path = table.get("path")
    if isinstance(path, str):
        target = Path(os.path.normpath(root / path))
        return ("editable" if editable else "path"), target.as_uri()
    direct = table.get("url")
    if isinstance(direct, str):
        return ("path" if direct.lower().startswith("file:") else "url"), direct
    if table.get("workspace") is True:
        return "editable", None
    return None


def _scp_to_ssh(url: str) -> str:
    """``git@github.com:org/repo.git`` (scp-like, which Poetry accepts) as an ``ssh://`` URL."""
    match = re.fullmatch(r"([\w.-]+@[\w.-]+):(?!//)(.+)", url)
    return f"ssh://{match.group(1)}/{match.group(2)}" if match else url
