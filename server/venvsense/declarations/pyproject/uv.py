"""uv's tables of ``pyproject.toml``: ``[tool.uv] dev-dependencies`` (a secondary set) and ``[tool.uv.sources]``
(where a ``[project]`` dependency comes from)."""

from __future__ import annotations

from venvsense.declarations.pyproject.document import PyprojectDocument
from venvsense.declarations.pyproject.sources import apply_source

__all__ = ["apply_uv_sources", "read_uv_dev_dependencies"]


def read_uv_dev_dependencies(document: PyprojectDocument) -> None:
    """``[tool.uv] dev-dependencies``: PEP 508 strings of the ``dev`` group."""
    if document.table(("tool", "uv")) is not None and "dev-dependencies" in document.data["tool"]["uv"]:
        document.manifest.declarations += document.requirement_strings(
            ("tool", "uv", "dev-dependencies"), group="dev", primary=False, declaration_set="tool.uv dev-dependencies")


def apply_uv_sources(document: PyprojectDocument) -> None:
    """``[tool.uv.sources]``: the source of each named package, given to its ``[project]`` declarations."""
    sources = document.lookup(("tool", "uv", "sources"))
    if isinstance(sources, dict):
        for name, value in sources.items():
            apply_source(document, name, value)
