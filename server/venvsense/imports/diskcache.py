"""The CLI's on-disk cache of import scans: what repeated ``venvsense check`` runs share.

One file per project under the user's cache folder (never inside the project), holding for each scanned file
its (mtime, size), packed imports (see ``ScanResult``) and, for a file importing ``importlib``/``pytest``, the
modules it imports by string (``cache.STRING_IMPORTS``: a warm check never reads a file again for them), for a
``.py`` file holding ``# /// script`` its text (``cache.SCRIPT_TEXTS``: a warm check reads no file to find the
project's PEP 723 scripts), and the
site-packages listings the run read (``environment.installed.persisted_listings``: each checked against its
folder's mtime when used, so a warm check reads no METADATA or RECORD while nothing was installed),
``marshal``-ed: loading it is quick next to scanning, which is most of a cold check. Written atomically (a
temporary file renamed over the old one); a file that cannot be read, is corrupt or was written by another
version is ignored and rewritten. Tiny projects scan faster than the cache would load, so only projects of
``PERSISTENT_MIN_FILES`` files or more use it.

A ``DiskScanCache`` is keyed by the project root (its file name) and, within it, by each file's absolute path,
checked against the file's (mtime, size); its owner is whoever made it: the CLI makes one per run and hands it
down explicitly (``check_project(disk_cache=...)``); the language server uses one for each project's first check of a
session (``lsp.scheduler``); nothing else writes to the user's cache folder.
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from venvsense import RACY_NS, user_cache_folder
from venvsense.environment.installed import persisted_listings, restore_listings
from venvsense.imports.cache import SCANS, SCRIPT_TEXTS, STRING_IMPORTS
from venvsense.imports.records import NO_IMPORTS, ImportStatement, ScanResult
from venvsense.text import write_atomically

PERSISTENT_MIN_FILES = 32  # (a workspace member of 300 files holding 20 MB of tests gained nothing at 500)
# raised whenever a scan would say something else of the same bytes (9: availability guards and a try's `else:`
# make imports optional; 10: so do `as` names the guards test), so that scans made by an older scanner are never
# taken for this one's
_PERSISTENT_FORMAT = ("venvsense-scan-cache", 10, tuple(f.name for f in fields(ImportStatement)), sys.byteorder,
                      array("i").itemsize, array("H").itemsize)


def persistent_cache_dir() -> Path | None:
    """The user's cache folder (``venvsense.user_cache_folder``) as a ``Path``; ``None`` when caching is off."""
    folder = user_cache_folder(os.environ)
    return Path(folder) if folder is not None else None


def _stored(result: ScanResult) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], str, bytes, tuple[str, ...]]:
    return (result._modules, result._names, result._numbers.typecode, result._numbers.tobytes(), result.gates)


def _loaded(modules: object, names: object, typecode: object, numbers: object, error: object,
            gates: object) -> ScanResult:
    if not (isinstance(modules, tuple) and isinstance(names, tuple) and typecode in ("H", "i")
            and isinstance(numbers, bytes) and (error is None or isinstance(error, str))
            and isinstance(gates, tuple) and all(isinstance(gate, str) for gate in gates)):
        raise ValueError("not a stored scan")
    if not modules and error is None:
        return NO_IMPORTS
    packed = array(typecode)
    packed.frombytes(numbers)
    # marshal gives back interned strings interned, and an object written several times (a shared names
    # tuple) as one object: the loaded scans share as the saved ones did
    return ScanResult.packed(modules, names, packed, error, gates)


def _strings(name: str, mtime: int, size: int) -> tuple[str, ...] | None:
    """The file's imports by string, when known for this version of it (kept with its scan)."""
    known = STRING_IMPORTS.get(name)
    return known[2] if known is not None and known[0] == mtime and known[1] == size else None


def _script(name: str, mtime: int, size: int) -> str | None:
    """The file's text when this version of it holds ``# /// script`` (kept with its scan)."""
    known = SCRIPT_TEXTS.get(name)
    return known[2] if known is not None and known[0] == mtime and known[1] == size else None


class DiskScanCache:
    """The on-disk scan caches of the projects checked by one process, in ``folder``.

    ``load`` fills the in-memory scan cache (``cache.SCANS``) from a project's file; ``save`` writes the scans
    of a project's files back (with the caller's payloads, see ``usage``) when they differ from what was
    loaded or last written. Never raises."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # by project root (os.fspath): what the file on disk holds now, as last loaded or written
        self._stamps: dict[str, dict[str, tuple[int, int]]] = {}  # file → (mtime, size)
        self._payloads: dict[str, dict[str, tuple[ScanResult, object]]] = {}  # file → (its scan, payload)
        self._values: dict[str, dict[str, object]] = {}  # file → payload
        self._extra: dict[str, object] = {}
        self._listings: dict[str, object] = {}  # the site-packages listings written with each project's scans

    @classmethod
    def default(cls) -> DiskScanCache | None:
        """A cache in ``persistent_cache_dir()``; ``None`` when the environment disables it."""
        folder = persistent_cache_dir()
        return None if folder is None else cls(folder)

    def file_for(self, root: Path) -> Path | None:
        """The cache file of the project at ``root``; ``None`` when it would be inside the project."""
        import zlib  # (hashlib costs more to import than a warm check spends here)

        try:
            resolved_root = root.resolve()
            resolved = self.folder.resolve()
        except (OSError, RuntimeError):
            return None
        if resolved == resolved_root or resolved_root in resolved.parents:
            return None  # never write into the project
        # a name per project; two projects sharing one (a 64-bit collision) would only evict each other's
        # entries, which are keyed by absolute path
        encoded = os.fsencode(resolved_root)
        digest = f"{zlib.crc32(encoded):08x}{zlib.adler32(encoded):08x}"
        return resolved / f"scans-{digest}.marshal"

    def load(self, root: Path, files: int | None) -> int:
        """Fill the in-memory cache from the project's on-disk cache (entries already in memory win), once per
        project; how many entries were loaded. ``files``: how many files the project has (``None``: not known
        yet, load whatever is there)."""
        key = os.fspath(root)
        path = self.file_for(root) if files is None or files >= PERSISTENT_MIN_FILES else None
        if path is None or key in self._stamps:
            return 0
        import marshal

        self._payloads.pop(key, None)
        self._values.pop(key, None)
        self._extra.pop(key, None)
        self._listings.pop(key, None)
        try:
            with open(path, "rb") as handle:
                data = marshal.loads(handle.read())
            header, entries, extra, listings = data
            if header != _PERSISTENT_FORMAT:
                return 0
            loaded: dict[str, tuple[int, int, ScanResult]] = {}
            payloads: dict[str, tuple[ScanResult, object]] = {}
            values: dict[str, object] = {}
            by_string: dict[str, tuple[str, ...]] = {}
            scripts: dict[str, str] = {}
            for name, mtime, size, error, stored, payload, strings, script in entries:
                modules, names, typecode, numbers, gates = stored
                result = _loaded(modules, names, typecode, numbers, error, gates)
                loaded[name] = (mtime, size, result)
                if strings is not None:
                    if not (isinstance(strings, tuple) and all(isinstance(item, str) for item in strings)):
                        raise ValueError("not stored imports by string")
                    by_string[name] = strings
                if script is not None:
                    if not isinstance(script, str):
                        raise ValueError("not a stored script text")
                    scripts[name] = script
                if payload is not None:
                    payloads[name] = (result, payload)
                    values[name] = payload
        except Exception:  # a corrupt or foreign cache is no cache; it is rewritten after the scan
            return 0
        in_memory = SCANS.get
        fresh = [(name, entry) for name, entry in loaded.items() if in_memory(name) is None]
        SCANS.put_many(fresh)  # one lock, not one a file
        if by_string:
            STRING_IMPORTS.put_many((name, (entry[0], entry[1], by_string[name]))
                                    for name, entry in fresh if name in by_string)
        if scripts:
            SCRIPT_TEXTS.put_many((name, (entry[0], entry[1], scripts[name]))
                                  for name, entry in fresh if name in scripts)
        # the venv's site-packages listings the last run read (each checked against its folder's mtime when
        # used): no METADATA or RECORD read again while nothing was installed
        restore_listings(listings)
        self._stamps[key] = {name: entry[:2] for name, entry in loaded.items()}
        self._payloads[key] = payloads
        self._values[key] = values
        self._extra[key] = extra
        self._listings[key] = listings
        return len(loaded)

    def forget(self, root: Path) -> None:
        """Drop what was loaded or written for the project at ``root`` (the language server, after a project's
        first check: the memory caches take over; a later ``load`` reads the file again)."""
        key = os.fspath(root)
        for kept in (self._stamps, self._payloads, self._values, self._extra, self._listings):
            kept.pop(key, None)

    def payload(self, root: Path, name: str, result: ScanResult) -> object:
        """What the last run stored beside the on-disk scan of file ``name`` (see ``save``), when ``result``
        equals that scan (the payload describes the scan, so it holds for an equal one); else ``None``."""
        stored = self._payloads.get(os.fspath(root), {}).get(name)
        if stored is None:
            return None
        scan = stored[0]
        return stored[1] if scan is result or scan == result else None

    def extra(self, root: Path) -> object:
        """What the last run stored for the whole project beside its on-disk scans; ``None`` when nothing was."""
        return self._extra.get(os.fspath(root))

    def active_for(self, root: Path, files: int) -> bool:
        """Whether ``save`` would write a project of ``files`` files."""
        return files >= PERSISTENT_MIN_FILES and self.file_for(root) is not None

    def save(self, root: Path, paths: Sequence[Path], payloads: Mapping[str, object] | None = None,
             extra: object = None) -> bool:
        """Write the cached scans of ``paths`` to the project's on-disk cache, when they differ from what was
        loaded; whether it wrote. ``payloads`` (by file name) and ``extra`` are stored with them (plain values
        ``marshal`` can write): a file's payload is given back by ``payload`` only for an equal scan. A cache
        that cannot be written is skipped."""
        path = self.file_for(root) if len(paths) >= PERSISTENT_MIN_FILES else None
        if path is None:
            return False
        import marshal
        import time

        payloads = payloads or {}
        racy = time.time_ns() - RACY_NS
        kept: list[tuple[str, int, int, ScanResult]] = []
        stamps: dict[str, tuple[int, int]] = {}
        in_memory = SCANS.get
        for file in paths:
            name = os.fspath(file)
            cached = in_memory(name)
            if cached is not None and cached[0] <= racy:
                kept.append((name, *cached))
                stamps[name] = cached[:2]
        key = os.fspath(root)
        stored = {name: value for name, value in payloads.items() if name in stamps}
        same_payloads = stored == self._values.get(key, {})
        listings = persisted_listings(racy)
        if (stamps == self._stamps.get(key) and extra == self._extra.get(key) and same_payloads
                and listings == self._listings.get(key)):
            return False
        entries = [(name, mtime, size, result.error, _stored(result), payloads.get(name),
                    _strings(name, mtime, size), _script(name, mtime, size)) for name, mtime, size, result in kept]
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            written: Any = (_PERSISTENT_FORMAT, tuple(entries), extra, listings)
            write_atomically(path, marshal.dumps(written))
        except (OSError, ValueError):  # ValueError: a payload marshal cannot write
            return False
        self._stamps[key] = stamps
        self._payloads[key] = {name: (result, payloads[name]) for name, _, _, result in kept if name in payloads}
        self._values[key] = {name: payloads[name] for name, _, _, _ in kept if name in payloads}
        self._extra[key] = extra
        self._listings[key] = listings
        return True
