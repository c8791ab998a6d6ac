"""The project's own ``.py`` files, and the cached answers to "is this folder a nested project?"."""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from venvsense.caches import MemoryCache
from venvsense.environment.metadata import read_bytes
from venvsense.imports import iter_python_files
from venvsense.model.discovery import is_project_root


def _gitignore(root: Path) -> Callable[[str], bool] | None:
    data = read_bytes(root / ".gitignore", limit=1 << 20)  # a regular file, never past 1 MB
    if data is None:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    import pathspec

    spec = pathspec.PathSpec.from_lines("gitignore", lines)
    return spec.match_file


def project_files(root: Path, exclude_globs: Iterable[str] = (),
                  probes: dict[str, tuple[int, bool]] | None = None) -> list[Path]:
    """The project's own ``.py`` files: not in nested projects, venvs, ignored (``.gitignore``) or excluded.

    ``probes`` collects the nested-project answers given (folder → (mtime, answer)), for the on-disk cache."""
    ignored = _gitignore(root)
    globs = tuple(exclude_globs)
    top = os.fspath(root)
    prefix = len(top) if top.endswith(os.sep) else len(top) + 1

    def excluded(relative: str) -> bool:
        if ignored is not None and ignored(relative):
            return True
        return any(fnmatch.fnmatch(relative.rstrip("/"), g) or fnmatch.fnmatch(relative, g) for g in globs)

    def exclude_folder(path: Path) -> bool:
        if path != root and _is_project_root(path, probes):
            return True
        relative = os.fspath(path)[prefix:].replace(os.sep, "/") + "/"
        return (ignored is not None or bool(globs)) and excluded(relative)

    def exclude_file(path: Path) -> bool:
        return excluded(os.fspath(path)[prefix:].replace(os.sep, "/"))

    filter_files = exclude_file if ignored is not None or globs else None
    return list(iter_python_files(root, exclude_folder=exclude_folder, exclude_file=filter_files))


# the answer depends only on the folder's entries, and adding, removing or renaming one changes its mtime
project_roots: MemoryCache[tuple[str, int], bool] = MemoryCache(
    name="classify.project_roots",
    key="folder path and its mtime (ns)",
    invalidation="a changed folder has a new mtime; answers for folders changed in the last 2 s are not kept "
                 "(a change within the file system's timestamp granularity would not show)",
    owner="the process; the CLI's on-disk cache stores the answers of a run and seeds this one with them",
    limit=100_000,
)
_RECENT_NS = 2_000_000_000


def _is_project_root(folder: Path, probes: dict[str, tuple[int, bool]] | None = None) -> bool:
    name = os.fspath(folder)
    try:
        stamp = os.stat(name).st_mtime_ns
    except OSError:
        return is_project_root(folder)
    answer = project_roots.get((name, stamp))
    if answer is None:
        answer = is_project_root(folder)
        if time.time_ns() - stamp <= _RECENT_NS:
            return answer
        project_roots.put((name, stamp), answer)
    if probes is not None:
        probes[name] = (stamp, answer)
    return answer
