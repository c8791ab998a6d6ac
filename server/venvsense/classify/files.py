"""The project's own ``.py`` files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from venvsense.caches import MemoryCache
from venvsense.imports import iter_python_files


def project_files(root: Path, exclude_globs: Iterable[str] = (),
                  probes: dict[str, tuple[int, bool]] | None = None) -> list[Path]:
    """The project's own ``.py`` files and notebooks (``.ipynb``): not in nested projects, venvs, build output,
    what git's ignore rules ignore (``venvsense.ignore``) or what ``exclude_globs`` exclude; symbolic links are
    never followed (``venvsense.tree``).

    A nested project is told from its folder's own listing (which the walk reads anyway), so ``probes`` (the
    on-disk cache's nested-project answers) is no longer filled; it is kept for its callers."""
    del probes
    return list(iter_python_files(root, ignore_rules=True, exclude_globs=exclude_globs, nested_projects=False,
                                  notebooks=True))


# Nested-project answers by folder and mtime. The walk no longer asks (it reads the answer off the folder's own
# listing); ``classify.stored`` still seeds this from the on-disk cache, until it stops keeping "roots".
project_roots: MemoryCache[tuple[str, int], bool] = MemoryCache(
    name="classify.project_roots",
    key="folder path and its mtime (ns)",
    invalidation="a changed folder has a new mtime; answers for folders changed in the last 2 s are not kept "
                 "(a change within the file system's timestamp granularity would not show)",
    owner="the process; the CLI's on-disk cache stores the answers of a run and seeds this one with them",
    limit=100_000,
)
