"""The process's in-memory cache of file scans: what ``scan_file``/``scan_files`` answer from while a file's
mtime and size are unchanged (the language server's re-checks, and the CLI's on-disk cache loaded into it)."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from venvsense.caches import MemoryCache
from venvsense.imports.records import ScanResult
from venvsense.imports.scanner import scan_bytes

# An entry is (mtime in ns, size, scan); it is used only while the file's ``stat`` still gives that mtime and size.
SCANS: MemoryCache[str, tuple[int, int, ScanResult]] = MemoryCache(
    name="imports.scans",
    key="a file's path as given (os.fspath)",
    invalidation="checked on every use: the entry's mtime and size against the file's stat; a changed file is "
                 "read and scanned again",
    owner="the process (the language server's lifetime; the CLI fills it from its on-disk cache)",
    limit=1 << 20,  # one entry a file: bounded only against runaway growth, never reached by a real tree
)


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def scan_file(path: Path) -> ScanResult:
    """The import statements of one file, from a process-wide cache while its mtime and size are unchanged.

    Never raises: a file that cannot be read gets an ``error`` and no imports (and is not cached)."""
    name = os.fspath(path)
    try:
        status = os.stat(name)
    except OSError as error:
        return ScanResult((), f"cannot be read ({error.strerror or error})")
    cached = SCANS.get(name)
    if cached is not None and cached[0] == status.st_mtime_ns and cached[1] == status.st_size:
        return cached[2]
    return _read_and_scan(name)


MAX_MODULE_BYTES = 32 * 1024 * 1024  # the largest real modules (generated tables) are a few MB


def _read_and_scan(name: str) -> ScanResult:
    try:
        with open(name, "rb", opener=_nonblocking) as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):  # a FIFO or a device could block or never end
                return ScanResult((), "is not a regular file: its imports are not read")
            data = file.read(MAX_MODULE_BYTES + 1)
    except OSError as error:
        return ScanResult((), f"cannot be read ({error.strerror or error})")
    if len(data) > MAX_MODULE_BYTES:
        return ScanResult((), f"is too large ({max(status.st_size, len(data)) / (1 << 20):,.0f} MB, more than "
                              f"{MAX_MODULE_BYTES >> 20} MB): its imports are not read")
    result = scan_bytes(data)
    SCANS.put(name, (status.st_mtime_ns, status.st_size, result))
    return result


def scan_files(paths: Sequence[Path]) -> dict[Path, ScanResult]:
    """``scan_file`` for many files: what ``venvsense check`` uses for a whole project."""
    results: dict[Path, ScanResult] = {}
    cached_scan = SCANS.get
    stat = os.stat
    for path in paths:
        name = os.fspath(path)
        cached = cached_scan(name)
        if cached is not None:
            try:
                status = stat(name)
            except OSError as error:
                results[path] = ScanResult((), f"cannot be read ({error.strerror or error})")
                continue
            if cached[0] == status.st_mtime_ns and cached[1] == status.st_size:
                results[path] = cached[2]
                continue
        results[path] = _read_and_scan(name)
    return results


def clear_cache() -> None:
    """Forget every cached scan (tests and long-running servers that want memory back)."""
    SCANS.clear()

