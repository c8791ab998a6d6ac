"""A lock's model kept in the user's cache folder, so that a warm ``venvsense check`` does not parse an unchanged lock.

One file per lock file (``lock-<digest>.marshal`` in the folder a shell named with ``use``; never inside the lock's
folder), holding the format version, the venvsense version, the lock's absolute path, kind and (mtime_ns,
size) when it was read, and its ``Lock`` as plain values (markers as their text), ``marshal``-ed. ``load`` gives
the stored model only when all of those match the file as it is now; a file that cannot be read, is corrupt or is
another's is no cache (the caller reads the lock and ``save`` rewrites it). Written atomically (a temporary file
renamed over the old one). A lock changed within the last ``RACY_NS`` is not stored: it may change again within
its mtime's granularity, unseen. Small locks parse faster than a cache file opens: only locks of
``MIN_BYTES`` or more are stored.

Off until a shell turns it on: the engine never writes to the user's cache folder on its own. The CLI's reading
commands do, with the folder of their scan cache (``cli.projects.default_disk_cache``:
``imports.diskcache.persistent_cache_dir()``, so ``VENVSENSE_CACHE_DIR=""`` turns both off).

Never raises.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from packaging.markers import Marker

from venvsense import RACY_NS, __version__
from venvsense.declarations.locks.model import Lock, LockedDependency, LockedPackage, LockError, LockKind, SourceKind
from venvsense.text import Position, Range, write_atomically

FORMAT = ("venvsense-lock-cache", 1, __version__)
MIN_BYTES = 4096
_KINDS = frozenset(get_args(LockKind))
_SOURCES = frozenset(get_args(SourceKind))

Stamp = tuple[int, int]  # (mtime_ns, size)
_folder: Path | None = None


def use(folder: Path | None) -> None:
    """Store locks in ``folder`` from now on in this process; ``None``: store none (the default)."""
    global _folder
    _folder = folder


def stamp_of(path: Path) -> Stamp | None:
    """The lock's (mtime_ns, size) now, ``None`` when it cannot be stat'ed or changed too recently to be known by
    its stamp (within ``RACY_NS``: a second change in the same tick would keep the stamp)."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    if status.st_mtime_ns > time.time_ns() - RACY_NS:
        return None
    return status.st_mtime_ns, status.st_size


def file_for(path: Path) -> Path | None:
    """The cache file of the lock at ``path``; ``None`` when storing is off or the cache folder is inside the
    lock's folder (never write into a project)."""
    import zlib

    folder = _folder
    if folder is None:
        return None
    try:
        project = path.parent.resolve()
        resolved = folder.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == project or project in resolved.parents:
        return None
    encoded = os.fsencode(os.path.abspath(path))
    return resolved / f"lock-{zlib.crc32(encoded):08x}{zlib.adler32(encoded):08x}.marshal"


def load(path: Path, kind: LockKind, stamp: Stamp, text: str) -> Lock | None:
    """The stored model of the lock at ``path`` when it was stored for ``kind`` and this ``stamp``, with ``text``
    (the file's text) as its text; else ``None``."""
    if stamp[1] < MIN_BYTES:
        return None
    where = file_for(path)
    if where is None:
        return None
    import marshal

    try:
        with open(where, "rb") as handle:
            header, stored = marshal.loads(handle.read())
        if header != (*FORMAT, os.path.abspath(path), kind, *stamp):
            return None
        return _lock(path, kind, stored, text)
    except Exception:  # a missing, corrupt or foreign file is no cache: the caller reads the lock and rewrites it
        return None


def save(lock: Lock, stamp: Stamp) -> bool:
    """Store ``lock``, read from its file when it had ``stamp``; whether it was written."""
    if stamp[1] < MIN_BYTES:
        return False
    where = file_for(lock.path)
    if where is None:
        return False
    import marshal

    try:
        payload = marshal.dumps(((*FORMAT, os.path.abspath(lock.path), lock.kind, *stamp), _plain(lock)))
        where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(where, payload)
    except (OSError, ValueError):  # ValueError: a value marshal cannot write (a TOML date in the document)
        return False
    return True


# --- the model as plain values ------------------------------------------------------------------------------


def _plain(lock: Lock) -> tuple[Any, ...]:
    error = None
    if lock.error is not None:
        start, end = lock.error.range.start, lock.error.range.end
        error = (lock.error.message, start.line, start.column, end.line, end.column)
    return (tuple(_plain_package(package) for package in lock.packages), error, lock.requires_python,
            dict(lock.data))


def _plain_package(package: LockedPackage) -> tuple[Any, ...]:
    return (package.name, package.version, package.source, package.line, _plain_marker(package.marker),
            _plain_edges(package.dependencies),
            tuple((name, _plain_edges(edges)) for name, edges in package.optional.items()),
            tuple((name, _plain_edges(edges)) for name, edges in package.groups.items()),
            tuple(sorted(package.categories)), package.location)


def _plain_edges(edges: tuple[LockedDependency, ...]) -> tuple[tuple[Any, ...], ...]:
    return tuple((edge.name, edge.extras, _plain_marker(edge.marker), edge.version) for edge in edges)


def _plain_marker(marker: Marker | None) -> str | None:
    return None if marker is None else str(marker)


def _lock(path: Path, kind: LockKind, stored: Any, text: str) -> Lock:
    packages, error, requires_python, data = stored
    if kind not in _KINDS or not isinstance(data, Mapping) or not (requires_python is None
                                                                    or isinstance(requires_python, str)):
        raise ValueError("not a stored lock")
    problem = None
    if error is not None:
        message, line, character, end_line, end_character = error
        problem = LockError(str(message), Range(Position(int(line), int(character)),
                                                Position(int(end_line), int(end_character))))
    return Lock(path, kind, tuple(_package(item) for item in packages), problem, requires_python, data, text)


def _package(item: Any) -> LockedPackage:
    name, version, source, line, marker, dependencies, optional, groups, categories, location = item
    if not (isinstance(name, str) and (version is None or isinstance(version, str)) and source in _SOURCES
            and isinstance(location, str)):
        raise ValueError("not a stored package")
    return LockedPackage(name, version, source, int(line), _marker(marker), _edges(dependencies),
                         {extra: _edges(edges) for extra, edges in optional},
                         {group: _edges(edges) for group, edges in groups}, frozenset(categories), location)


def _edges(items: Any) -> tuple[LockedDependency, ...]:
    edges = tuple(LockedDependency(name, tuple(extras), _marker(marker), version)
                  for name, extras, marker, version in items)
    if not all(isinstance(edge.name, str) and (edge.version is None or isinstance(edge.version, str))
               for edge in edges):
        raise ValueError("not a stored dependency")
    return edges


@functools.lru_cache(maxsize=1024)
def _marker(text: str | None) -> Marker | None:
    # a lock repeats a few dozen markers hundreds of times: each is parsed once (markers are never changed)
    return None if text is None else Marker(text)
