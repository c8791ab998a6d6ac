"""The Python files of a project tree, in a stable order, skipping the folders the manifest policy skips."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from venvsense.manifests import is_environment_folder, is_skipped_name


def iter_python_files(
    root: Path, *, exclude: Callable[[Path], bool] | None = None,
    exclude_folder: Callable[[Path], bool] | None = None, exclude_file: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """The ``*.py`` files under ``root``, in a stable order (each folder's files, then its sub-folders,
    sorted by name).

    Skipped: the folders ``manifests.is_skipped_name`` names (``SKIPPED_DIRECTORIES``, ``*.egg-info``), virtual
    environments (``manifests.is_environment_folder``), folders that cannot be read, and folders already visited
    through a symbolic link. ``exclude`` is asked about every folder and file (a folder it excludes is not
    entered); ``exclude_folder`` only about folders, ``exclude_file`` only about files (no need to ``stat``
    a path to tell which it is).
    """
    if exclude is not None:
        exclude_folder = _either(exclude, exclude_folder)
        exclude_file = _either(exclude, exclude_file)
    visited: set[tuple[int, int]] = set()
    pending = [os.fspath(root)]
    while pending:
        folder = pending.pop()
        try:
            status = os.stat(folder)
            identity = (status.st_dev, status.st_ino)
            if identity in visited:
                continue
            visited.add(identity)
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        folders: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir():
                    if is_skipped_name(name):
                        continue
                    if exclude_folder is not None and exclude_folder(Path(entry.path)):
                        continue
                    folders.append(entry.path)
                elif name.endswith(".py") and entry.is_file():
                    path = Path(entry.path)
                    if exclude_file is None or not exclude_file(path):
                        yield path
            except OSError:
                continue
        for sub in reversed(folders):
            if not is_environment_folder(sub):
                pending.append(sub)


def _either(first: Callable[[Path], bool], second: Callable[[Path], bool] | None) -> Callable[[Path], bool]:
    if second is None:
        return first
    return lambda path: first(path) or second(path)
