"""The distributions installed in an environment's site-packages, read once per folder change.

Caches (registered in ``venvsense.caches``): ``environment.site_packages`` keeps each folder's listing of
distributions, ``environment.installed`` the combined ``Installed`` of an environment's folders; both are
checked against the folders' mtimes (an install or uninstall adds or removes entries, which changes them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from venvsense.caches import MemoryCache
from venvsense.environment.metadata import Distribution, read_dist_info, read_egg_info, read_egg_link
from venvsense.environment.pyvenv import Environment


@dataclass(frozen=True)
class Installed:
    """The distributions installed in an environment, by normalized name.

    ``duplicates`` lists normalized names found more than once (two metadata folders for one name):
    ``distributions`` keeps the one with the highest version, as the import system would usually see.
    ``skipped`` lists (path, reason) for metadata that could not be read at all.
    """

    distributions: dict[str, Distribution]
    duplicates: dict[str, tuple[Distribution, ...]] = field(default_factory=dict)
    skipped: tuple[tuple[Path, str], ...] = ()


class _DirScan(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """One site-packages folder's distributions, listed when the folder had mtime ``mtime_ns``."""

    mtime_ns: int
    distributions: tuple[Distribution, ...]
    skipped: tuple[tuple[Path, str], ...]


# A folder's listing, checked against the folder's mtime before use (an unreadable folder, mtime -1, is listed again).
SITE_PACKAGES: MemoryCache[str, _DirScan] = MemoryCache(
    name="environment.site_packages",
    key="a site-packages folder (os.fspath)",
    invalidation="checked on every use: the folder's mtime against the listing's",
    owner="the process (the language server's lifetime; one CLI run)",
)
# An environment's distributions, with the mtimes of its folders they were read at.
INSTALLED: MemoryCache[tuple[Path, ...], tuple[tuple[int, ...], Installed]] = MemoryCache(
    name="environment.installed",
    key="an environment's site-packages folders, in order",
    invalidation="checked on every use: the folders' mtimes against the stored ones",
    owner="the process (the language server's lifetime; one CLI run)",
)


def clear_cache() -> None:
    """Forget every site-packages listing (the next ``read_installed`` reads all metadata again)."""
    SITE_PACKAGES.clear()
    INSTALLED.clear()


# --- the listings on disk (the CLI's cache, ``imports.diskcache``) ------------------------------------------

_DISTRIBUTION_FIELDS = tuple(f.name for f in fields(Distribution))


def persisted_listings(older_than_ns: int) -> tuple[object, ...]:
    """Every site-packages listing in memory whose folder mtime is older than ``older_than_ns`` (a folder changed
    more recently may change again within its mtime's granularity), as plain values ``marshal`` writes."""
    out: list[object] = []
    for folder, listing in SITE_PACKAGES.items():
        if listing.mtime_ns == -1 or listing.mtime_ns > older_than_ns:
            continue
        dists = tuple((d.name, d.normalized, d.version, d.requires, d.extras, d.modules, d.editable,
                       os.fspath(d.metadata_path), d.installer, d.requested, d.problem)
                      for d in listing.distributions)
        out.append((folder, listing.mtime_ns, dists, tuple((os.fspath(p), why) for p, why in listing.skipped)))
    return tuple(out)


def restore_listings(data: object) -> int:
    """Seed the in-memory listings with ``persisted_listings``' values (a folder already listed in memory keeps
    its listing; each is still checked against its folder's mtime when used); how many were restored. Values of
    any other shape are ignored, whole."""
    try:
        restored: list[tuple[str, _DirScan]] = []
        for folder, mtime_ns, dists, skipped in data:  # type: ignore[attr-defined]
            if not (isinstance(folder, str) and isinstance(mtime_ns, int)):
                raise ValueError("not a listing")
            made = []
            for values in dists:
                if len(values) != len(_DISTRIBUTION_FIELDS):
                    raise ValueError("not a distribution")
                record = dict(zip(_DISTRIBUTION_FIELDS, values, strict=True))
                record["metadata_path"] = Path(record["metadata_path"])
                made.append(Distribution(**record))
            restored.append((folder, _DirScan(mtime_ns, tuple(made),
                                              tuple((Path(path), str(why)) for path, why in skipped))))
    except (TypeError, ValueError):
        return 0
    for folder, listing in restored:
        if SITE_PACKAGES.get(folder) is None:
            SITE_PACKAGES.put(folder, listing)
    return len(restored)


def site_packages_stamp(metadata_path: Path) -> int:
    """The mtime the folder holding ``metadata_path`` had when it was last listed (-1: not listed)."""
    listing = SITE_PACKAGES.get(os.path.dirname(metadata_path))
    return listing.mtime_ns if listing is not None else -1


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def read_installed(environment: Environment) -> Installed:
    """Every distribution installed in the environment's site-packages (not the base interpreter's).

    Results are cached per site-packages folder, keyed on the folder's mtime (an install or uninstall
    adds or removes entries, which changes it): with no folder changed, the same ``Installed`` object is
    returned without reading any metadata. Never raises.
    """
    folders = tuple(environment.site_packages)
    stamps = tuple(_mtime_ns(folder) for folder in folders)
    cached = INSTALLED.get(folders)
    if cached is not None and cached[0] == stamps:
        return cached[1]
    scans = [_scan_cached(folder, stamp) for folder, stamp in zip(folders, stamps, strict=True)]
    installed = _combine(scans)
    INSTALLED.put(folders, (stamps, installed))
    return installed


def _scan_cached(folder: Path, stamp: int) -> _DirScan:
    key = os.fspath(folder)
    cached = SITE_PACKAGES.get(key)
    if cached is not None and cached.mtime_ns == stamp and stamp != -1:
        return cached
    # (the wheel tags read from this folder are keyed by its mtime: a new listing makes them stale too)
    return SITE_PACKAGES.put(key, _scan(folder, stamp))


def _combine(scans: Iterable[_DirScan]) -> Installed:
    by_name: dict[str, list[Distribution]] = {}
    skipped: list[tuple[Path, str]] = []
    for scan in scans:
        for dist in scan.distributions:
            by_name.setdefault(dist.normalized, []).append(dist)
        skipped.extend(scan.skipped)
    distributions: dict[str, Distribution] = {}
    duplicates: dict[str, tuple[Distribution, ...]] = {}
    for name in sorted(by_name):
        found = by_name[name]
        if len(found) > 1:
            duplicates[name] = tuple(found)
            found = sorted(found, key=lambda d: (d.problem is None, _sortable_version(d.version)),
                           reverse=True)
        distributions[name] = found[0]
    return Installed(distributions, duplicates, tuple(skipped))


def _sortable_version(text: str) -> tuple[int, Version | None]:
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, None)


def _scan(folder: Path, stamp: int) -> _DirScan:
    distributions: list[Distribution] = []
    skipped: list[tuple[Path, str]] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        return _DirScan(stamp, (), ((folder, f"cannot be listed ({error.strerror or error})"),))
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        try:
            if name.endswith(".dist-info") and entry.is_dir():
                result = read_dist_info(path, folder)
            elif name.endswith(".egg-info"):
                result = read_egg_info(path, folder)
            elif name.endswith(".egg-link") and entry.is_file():
                result = read_egg_link(path, folder)
            else:
                continue
        except Exception as error:  # a reader bug must not hide the rest of the environment
            result = f"could not be read ({type(error).__name__}: {error})"
        if isinstance(result, str):
            skipped.append((path, result))
        else:
            distributions.append(result)
    return _DirScan(stamp, tuple(distributions), tuple(skipped))
