"""The Python files of a project tree, in a stable order, walked with the one folder walk (``venvsense.tree``)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from venvsense.tree import walk


def iter_python_files(
    root: Path, *, exclude: Callable[[Path], bool] | None = None,
    exclude_folder: Callable[[Path], bool] | None = None, exclude_file: Callable[[Path], bool] | None = None,
    ignore_rules: bool = False, exclude_globs: Iterable[str] = (), nested_projects: bool = True,
    notebooks: bool = False,
) -> Iterator[Path]:
    """The ``*.py`` files under ``root``, in a stable order (each folder's files, then its sub-folders,
    sorted by name).

    Skipped as ``venvsense.tree.walk`` skips (symbolic links never followed, the policy's folders, venvs, build
    output at the root) and: with ``ignore_rules``, what git's ignore rules ignore; what ``exclude_globs``
    (``fnmatch`` patterns over root-relative POSIX paths, a folder also tried with a trailing ``/``) match;
    with ``nested_projects=False``, every folder below the root that is a project root of its own. ``exclude``
    is asked about every folder and file (a folder it excludes is not entered); ``exclude_folder`` only about
    folders, ``exclude_file`` only about files. ``notebooks``: Jupyter notebooks (``*.ipynb``) too.
    """
    if exclude is not None:
        exclude_folder = _either(exclude, exclude_folder)
        exclude_file = _either(exclude, exclude_file)
    globbed = _glob_matcher(exclude_globs)
    suffixes = (".py", ".ipynb") if notebooks else ".py"
    # each folder's Path made from its parent's (a folder's Path is made when its first file is met)
    folder_paths: dict[str, Path] = {"": root if isinstance(root, Path) else Path(root)}
    for listing in walk(root, ignore_rules=ignore_rules):
        relative = listing.relative
        if relative and not nested_projects and listing.is_project():
            listing.folders.clear()
            continue
        if globbed is not None or exclude_folder is not None:
            listing.folders[:] = [
                name for name in listing.folders
                if not (globbed is not None and (globbed(relative + name) or globbed(relative + name + "/")))
                and not (exclude_folder is not None and exclude_folder(Path(listing.path, name)))
            ]
        names = [name for name in listing.files if name.endswith(suffixes)]
        if not names:
            continue
        if ignore_rules:
            names = listing.kept_files(names)
        if globbed is not None:
            names = [name for name in names if not globbed(relative + name)]
        base = _folder_path(folder_paths, relative)
        if exclude_file is None:
            yield from [_child(base, name) for name in names]  # a folder's files at once
            continue
        for name in names:
            path = _child(base, name)
            if not exclude_file(path):
                yield path


def _folder_path(known: dict[str, Path], relative: str) -> Path:
    """The Path of the folder at ``relative`` (POSIX, ending with "/"), made from the nearest known one above."""
    found = known.get(relative)
    if found is None:
        parent, _, name = relative[:-1].rpartition("/")
        found = known[relative] = _child(_folder_path(known, parent + "/" if parent else ""), name)
    return found


def _joined(base: Path, name: str) -> Path:
    return base / name


# ``base / name`` parses ``name`` again (2.3 µs on CPython 3.11); pathlib's own walk joins a single name with
# ``_make_child_relpath`` (0.6 µs), which CPython 3.10-3.12 have: the same path, made for a known name
_child: Callable[[Path, str], Path] = getattr(Path, "_make_child_relpath", _joined)


def _glob_matcher(globs: Iterable[str]) -> Callable[[str], bool] | None:
    """One compiled matcher for every ``fnmatch`` glob (``None`` when there is none)."""
    patterns = [fnmatch.translate(glob) for glob in globs]
    if not patterns:
        return None
    compiled = re.compile("|".join(patterns))
    return lambda relative: compiled.match(relative) is not None


def _either(first: Callable[[Path], bool], second: Callable[[Path], bool] | None) -> Callable[[Path], bool]:
    if second is None:
        return first
    return lambda path: first(path) or second(path)
