"""The one folder walk: which folders of a project tree are entered, in which order, with git's ignore rules.

Every walk of a project or workspace (the module walk, project discovery) goes through ``walk``:

* **symbolic links are never followed** (neither folders nor files): a link out of the tree would read the
  rest of the file system, and a link inside it reaches what the walk reaches in its own place — one file,
  one path (the real one);
* folders that ``manifests.is_skipped_name`` names (VCS metadata, tool caches, ``node_modules``…) and folders
  the ignore rules ignore are dropped **before they are listed**;
* a folder holding ``pyvenv.cfg`` (a venv), and a ``build``/``dist`` folder at the walk's root holding build
  artefacts (``manifests.is_build_output``), are dropped after one listing of their own;
* git's ignore rules (``venvsense.ignore``): the repository's ``.git/info/exclude``, the ``.gitignore`` files
  of the folders from the repository's top down to the root, and each ``.gitignore`` met on the way; a nested
  repository (a folder holding ``.git``) starts over with its own rules. A root that its repository ignores
  (a project inside a home folder kept in git with ``*`` ignored) gets only the rules found from the root down.
  The user's global excludes (``core.excludesFile``) are not read: a check says the same on every machine.

No ``Path`` is made per entry: a listing is the folder's path, its path relative to the root, and names.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from venvsense import RACY_NS
from venvsense.caches import MemoryCache
from venvsense.ignore import IgnoreFile, read_ignore_file
from venvsense.manifests import (
    BUILD_OUTPUT_DIRECTORIES,
    REQUIREMENTS_FOLDER,
    is_build_output,
    is_project_listing,
    is_skipped_name,
)

# how many folders above a root are searched for the repository's top (``.git``)
_MAX_UP = 64

_Rules = tuple[tuple[int, IgnoreFile], ...]  # (offset into the path relative to the repository, rules)


class Entries:
    """A folder's entries by kind: regular files, folders and symbolic links (of any kind), each sorted by name.
    Shared by every walk through the folder while it is unchanged: never change them."""

    __slots__ = ("_project", "files", "folders", "links")

    def __init__(self, files: list[str], folders: list[str], links: list[str]) -> None:
        self.files = files
        self.folders = folders
        self.links = links
        self._project: bool | None = None

    def project_files(self) -> bool:
        """Whether its files and links name a project root (``manifests.is_project_listing`` on them alone)."""
        if self._project is None:
            self._project = is_project_listing(self.files + self.links, ())
        return self._project


class Listing:
    """One folder met by the walk: its entries by kind (names, sorted; links apart, never walked).

    ``folders`` are the sub-folders the walk will enter next: remove names from it to prune them."""

    __slots__ = ("_entries", "_in_repository", "_rules", "files", "folders", "links", "path", "relative")

    def __init__(self, path: str, relative: str, entries: Entries, folders: list[str], in_repository: str,
                 rules: _Rules) -> None:
        self.path = path  # the folder, as given (root joined with the relative path)
        self.relative = relative  # relative to the root, POSIX, "" for the root, else ending with "/"
        self.files = entries.files  # regular files (not links); read only
        self.folders = folders  # sub-folders still to walk (not links, not skipped, not ignored)
        self.links = entries.links  # symbolic links, of any kind; read only
        self._entries = entries
        self._in_repository = in_repository
        self._rules = rules

    def ignored(self, name: str, *, folder: bool = False) -> bool:
        """Whether the ignore rules ignore entry ``name`` of this folder."""
        return _ignored(self._rules, self._in_repository + name, name, folder)

    def kept_files(self, names: list[str]) -> list[str]:
        """The files among ``names`` (entries of this folder) that the ignore rules do not ignore."""
        if not self._rules:
            return names
        return _kept(self._rules, self._in_repository, names, False)

    def is_project(self) -> bool:
        """``manifests.is_project_listing(files + links, folders)``: a project marker file, a requirements
        file or a ``requirements/`` folder still to walk (the files' answer kept while the folder is unchanged)."""
        return REQUIREMENTS_FOLDER in self.folders or self._entries.project_files()


def walk(root: str | os.PathLike[str], *, ignore_rules: bool = True) -> Iterator[Listing]:
    """The folders under ``root`` (itself first), depth first, each folder's sub-folders in name order.

    ``ignore_rules``: honour git's ignore rules (see the module's documentation)."""
    top = os.fspath(root)
    in_repository, rules = _repository_rules(top) if ignore_rules else ("", ())
    pending: list[tuple[str, str, str, _Rules]] = [(top, "", in_repository, rules)]
    while pending:
        path, relative, in_repository, rules = pending.pop()
        listed = entries(path)
        if listed is None:
            continue
        files, folders = listed.files, listed.folders
        if relative:
            if "pyvenv.cfg" in files:
                continue  # a venv
            if relative[:-1] in BUILD_OUTPUT_DIRECTORIES and relative.count("/") == 1 and \
                    is_build_output(relative[:-1], files, folders):
                continue
            if ignore_rules and (".git" in folders or ".git" in files):
                in_repository, rules = "", _exclude_rules(path)  # a nested repository: its own rules
        if ignore_rules and ".gitignore" in files:
            found = read_ignore_file(os.path.join(path, ".gitignore"))
            if found is not None:
                rules = (*rules, (len(in_repository), found))
        kept = [name for name in folders if not is_skipped_name(name)]
        if rules and kept:
            kept = _kept(rules, in_repository, kept, True)
        listing = Listing(path, relative, listed, kept, in_repository, rules)
        yield listing
        if listing.folders:
            base = path if path.endswith(os.sep) else path + os.sep
            for name in reversed(listing.folders):
                pending.append((base + name, relative + name + "/", in_repository + name + "/", rules))


# The listings of folders that had not changed for a while, by path, with the folder's (mtime, inode, device)
# when listed: a folder is listed once per state, whatever the number of walks through it (discovery, then
# each project's module walk, then its workspace members'), and a listing used again costs one ``stat``.
listings: MemoryCache[str, tuple[tuple[int, int, int], Entries]] = MemoryCache(
    name="tree.listings",
    key="a folder's path",
    invalidation="the folder's mtime, inode and device, checked on every use; a folder changed less than 2 s "
                 "before it was listed is not kept (a change within the timestamp granularity would not show)",
    owner="the process: discovery, the module walks and the workspace members' walks of a check (and the "
          "server's re-checks) list an unchanged folder once",
    limit=100_000,
)
# a folder changed less than this long ago is listed again each time: a change within the file system's
# timestamp granularity would not show in its mtime
_SETTLED_NS = RACY_NS


def entries(path: str) -> Entries | None:
    """The entries of the folder at ``path``; ``None`` when it cannot be listed.

    A folder listed before and unchanged since (same mtime, inode and device, and changed more than 2 s before
    it was listed) is not listed again; its reuse raises the ``os.scandir`` audit event all the same, so what
    listens to it learns every folder a check read."""
    try:
        state = os.stat(path)
    except OSError:
        return None
    key = (state.st_mtime_ns, state.st_ino, state.st_dev)
    found = listings.get(path)
    if found is not None and found[0] == key:
        sys.audit("os.scandir", path)
        return found[1]
    try:
        with os.scandir(path) as scan:
            listed = list(scan)
    except OSError:
        return None
    files: list[str] = []
    folders: list[str] = []
    links: list[str] = []
    for entry in listed:
        try:
            # regular files first: most entries are files, one call each
            if entry.is_file(follow_symlinks=False):
                files.append(entry.name)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(entry.name)
            elif entry.is_symlink():
                links.append(entry.name)
        except OSError:
            continue
    files.sort()
    folders.sort()
    links.sort()
    result = Entries(files, folders, links)
    if time.time_ns() - state.st_mtime_ns > _SETTLED_NS:
        listings.put(path, (key, result))
    elif found is not None:
        listings.pop(path)
    return result


def _kept(rules: _Rules, prefix: str, names: list[str], folder: bool) -> list[str]:
    """The entries ``names`` of the folder at ``prefix`` (relative to the repository) that ``rules`` keep."""
    if len(rules) == 1:
        offset, only = rules[0]
        verdicts = only.verdicts(prefix[offset:], names, folder)
        return [name for name, ignored in zip(names, verdicts, strict=True) if not ignored]
    undecided = names
    ignored: set[str] = set()
    for offset, found in reversed(rules):
        verdicts = found.verdicts(prefix[offset:], undecided, folder)
        ignored.update(name for name, verdict in zip(undecided, verdicts, strict=True) if verdict)
        undecided = [name for name, verdict in zip(undecided, verdicts, strict=True) if verdict is None]
        if not undecided:
            break
    return [name for name in names if name not in ignored] if ignored else names


def _ignored(rules: _Rules, relative: str, name: str, folder: bool) -> bool:
    for offset, found in reversed(rules):
        verdict = found.verdict(relative[offset:], name, folder)
        if verdict is not None:
            return verdict
    return False


def repository_top(folder: str) -> str | None:
    """The top of the git repository holding ``folder`` (the nearest folder, itself included, holding
    ``.git``), or ``None``."""
    current = os.path.realpath(folder)
    for _ in range(_MAX_UP):
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return None


def _repository_rules(root: str) -> tuple[str, _Rules]:
    """``root``'s path relative to its repository's top, and the rules that apply to it from above: the
    repository's ``info/exclude`` and the ``.gitignore`` of every folder from the top down to ``root``'s parent."""
    top = repository_top(root)
    if top is None:
        return "", ()
    real = os.path.realpath(root)
    if real == top:
        return "", _exclude_rules(top)
    relative = os.path.relpath(real, top).replace(os.sep, "/")
    if relative.startswith(".."):
        return "", ()
    rules: _Rules = _exclude_rules(top)
    parts = relative.split("/")
    for depth in range(len(parts)):
        prefix = "/".join(parts[:depth])
        found = read_ignore_file(os.path.join(top, *parts[:depth], ".gitignore"))
        if found is not None:
            rules = (*rules, (len(prefix) + 1 if prefix else 0, found))
        # a root inside a folder its repository ignores (a home folder kept in git with "*" in its
        # .gitignore) is not that repository's content: its rules do not apply, the root's own do
        if rules and _ignored(rules, "/".join(parts[:depth + 1]), parts[depth], True):
            return "", ()
    return relative + "/", rules


def _exclude_rules(top: str) -> _Rules:
    """The repository's ``info/exclude`` (of its git folder, or the common folder of a linked worktree)."""
    git = os.path.join(top, ".git")
    if os.path.isfile(git):
        try:
            with open(git, encoding="utf-8", errors="replace") as handle:
                line = handle.read(4096).strip()
        except OSError:
            return ()
        if not line.startswith("gitdir:"):
            return ()
        git = os.path.join(top, line[len("gitdir:"):].strip())
        try:
            with open(os.path.join(git, "commondir"), encoding="utf-8", errors="replace") as handle:
                git = os.path.join(git, handle.read(4096).strip())
        except OSError:
            pass
    found = read_ignore_file(os.path.join(git, "info", "exclude"))
    return ((0, found),) if found is not None else ()


def folders_above(start: Path) -> Iterator[Path]:
    """The folders above ``start``, nearest first, up to the repository's root (the first folder up holding
    ``.git``, which is the last one given) and never the home folder or above it; none when ``start`` is itself a
    repository's root. Where a nested project looks for the project (or the venv) around it."""
    home = Path.home()
    try:
        if (start / ".git").exists():
            return
        for folder in start.absolute().parents:
            if folder == home or folder in home.parents:
                return
            yield folder
            if (folder / ".git").exists():
                return
    except OSError:
        return
