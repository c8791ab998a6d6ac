"""Lock files: ``uv.lock``, ``poetry.lock``, ``pylock.toml``, ``Pipfile.lock``, ``pdm.lock`` read into one model.

``model.py`` holds the format-neutral types and which lock a project uses (``find_lock``); each format is the
module named by its kind (``uv.py``, ``poetry.py``, ``pylock.py``, ``pipfile.py``, ``pdm.py``), providing the
functions of ``model.LockFormat``. The three functions below dispatch to it, so that a caller never names a
format and a format module never needs registering anywhere: adding ``<kind>.py`` is enough.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import cast

from venvsense.caches import MemoryCache
from venvsense.declarations.locks import stored
from venvsense.declarations.locks.model import (
    LOCK_NAMES,
    Lock,
    LockedDependency,
    LockedPackage,
    LockError,
    LockFormat,
    LockKind,
    ManifestText,
    Selection,
    Staleness,
    Target,
    find_lock,
    lock_kind,
)
from venvsense.text import START, UnreadableFile, read_text

__all__ = [
    "LOCK_NAMES", "Lock", "LockError", "LockFormat", "LockKind", "LockedDependency", "LockedPackage",
    "ManifestText", "Selection", "Staleness", "Target", "find_lock", "format_of", "lock_kind", "outdated",
    "read_lock", "select",
]


# A lock read from the same text is the same lock: a keystroke's re-check (or the next CLI project sharing a
# workspace lock) does not parse megabytes of TOML again.
READ_LOCKS: MemoryCache[tuple[Path, str], Lock] = MemoryCache(
    name="declarations.locks",
    key="a lock file's path and its whole text (the editor's buffer or the file's)",
    invalidation="a changed text is another key",
    owner="the process",
    limit=16,
)
# A lock file on disk whose (mtime_ns, size) did not change is the lock read last time: a re-check (the server's
# keystroke on a manifest) neither reads nor parses it again. A file changed within the last two seconds is not
# known by its stamp (``venvsense.RACY_NS``): it is read.
DISK_LOCKS: MemoryCache[tuple[Path, LockKind], tuple[stored.Stamp, Lock]] = MemoryCache(
    name="declarations.locks.disk",
    key="a lock file's path and kind, holding its (mtime_ns, size) when read",
    invalidation="a changed (mtime_ns, size) is not used (the file is read again); a racy one is never kept",
    owner="the process",
    limit=16,
)


def format_of(kind: LockKind) -> LockFormat | None:
    """The module that reads locks of ``kind``, ``None`` when this version has none."""
    try:
        module = importlib.import_module(f"{__name__}.{kind}")
    except ModuleNotFoundError:
        return None
    return cast(LockFormat, module)


def read_lock(path: Path, text: str | None = None, kind: LockKind | None = None) -> Lock:
    """``path`` read as the lock its name says, or as ``kind`` (a compiled requirements file: its content says
    it); ``text``: an editor buffer, else the file. Total: a file that cannot be read, or is not a lock of its
    kind, gives a ``Lock`` with ``error`` set."""
    kind = kind or lock_kind(path)
    if kind is None:
        return Lock(path, "uv", error=LockError(f"{path.name} is not a lock file venvsense knows", START))
    stamp = stored.stamp_of(path) if text is None else None  # taken before the text is read
    if stamp is not None:
        known = DISK_LOCKS.get((path, kind))
        if known is not None and known[0] == stamp:
            return known[1]
    if text is None:
        try:
            text = read_text(path)
        except UnreadableFile as error:
            return Lock(path, kind, error=LockError(f"{path.name} {error.reason}", START))
    module = format_of(kind)
    if module is None:
        return Lock(path, kind, error=LockError(f"{path.name}: this version of venvsense does not read {kind} locks",
                                                START), text=text)
    if stamp is None:
        return READ_LOCKS.get_or_make((path, text), lambda: module.read(path, text))
    # (kept by stamp only: a lock file rewritten again and again keeps one version in memory, not sixteen)
    lock = READ_LOCKS.get((path, text)) or stored.load(path, kind, stamp, text)
    if lock is None:
        lock = module.read(path, text)
        stored.save(lock, stamp)
    DISK_LOCKS.put((path, kind), (stamp, lock))
    return lock


def select(lock: Lock, target: Target, manifests: ManifestText) -> Selection:
    """What the lock's tool would install into the venv ``target`` describes (see ``LockFormat.select``)."""
    module = format_of(lock.kind)
    if lock.error is not None or module is None:
        return Selection({}, error=lock.error.message if lock.error else f"{lock.kind} locks are not read")
    return module.select(lock, target, manifests)


def outdated(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """Where ``lock`` no longer matches the manifests it was made from (see ``LockFormat.outdated``)."""
    module = format_of(lock.kind)
    if lock.error is not None or module is None:
        return ()
    return module.outdated(lock, manifests)
