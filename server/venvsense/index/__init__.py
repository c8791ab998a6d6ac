"""The package index: which indexes a project uses (``sources``), the simple API read (``simple``: PEP 691 JSON,
PEP 503 HTML), an on-disk cache with HTTP validators (``cache``) and the ``IndexService`` that answers from it
at once and refreshes it on its own threads (``client``).

The engine reads the network only through this package, and only when a shell asked for a refresh: the rules
(VS210) and the language server's completion read cached answers; ``IndexService.schedule`` runs refreshes on
worker threads, never the caller's; nothing is fetched when ``offline`` is set or the workspace is untrusted
(unless the person allowed it), which the shells decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from venvsense.declarations import Manifest
from venvsense.index.cache import DiskCache, Entry
from venvsense.index.client import (
    Fetched,
    Fetcher,
    IndexService,
    Versions,
    newest_cached,
    newest_compatible,
    project_url,
    refresh_stale,
)
from venvsense.index.simple import File, ProjectPage, Release
from venvsense.index.sources import PYPI, IndexUrl, project_indexes, redact

__all__ = [
    "PYPI", "DiskCache", "Entry", "Fetched", "Fetcher", "File", "IndexService", "IndexUrl", "ProjectPage",
    "Release", "Versions", "indexes_of", "newest_cached", "newest_compatible", "project_indexes", "project_url",
    "redact", "refresh_stale",
]


def indexes_of(manifests: Iterable[Manifest], pyproject: Mapping[str, Any] | None,
               environ: Mapping[str, str]) -> tuple[IndexUrl, ...]:
    """The indexes of a project whose declaration sets are ``manifests`` (their ``-i``/``--extra-index-url``
    lines) and whose parsed ``pyproject.toml`` is ``pyproject``."""
    return project_indexes([o for m in manifests for o in m.index_options], pyproject, environ)
