"""The process's in-memory cache of file scans: what ``scan_file``/``scan_files`` answer from while a file's
mtime and size are unchanged (the language server's re-checks, and the CLI's on-disk cache loaded into it).

Beside each scan of a file that imports ``importlib`` or ``pytest``, the modules it imports by string
(``importlib.import_module("x")``, ``pytest.importorskip("x")``, ``__import__("x")``), found while its bytes are
at hand for the scan: ``string_imports`` answers from them without reading the file again. Likewise the text of a
file holding a PEP 723 ``# /// script`` block (``known_script_text``)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from venvsense.caches import MemoryCache
from venvsense.imports.notebook import NOTEBOOK_SUFFIX, notebook_code, remember
from venvsense.imports.records import ScanResult
from venvsense.imports.scanner import scan_bytes, scan_source
from venvsense.text import read_capped, read_regular

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


# The by-string imports of a file (an entry only for files whose scan imports one of ``BY_STRING_PROVIDERS``):
# (mtime in ns, size, module names), valid while the file's SCANS entry has the same mtime and size.
STRING_IMPORTS: MemoryCache[str, tuple[int, int, tuple[str, ...]]] = MemoryCache(
    name="imports.string_imports",
    key="a file's path as given (os.fspath)",
    invalidation="used only with the file's current scan (its SCANS entry, same mtime and size)",
    owner="the process (the CLI fills it from its on-disk cache)",
    limit=1 << 20,
)

# The text of each ``.py`` file whose bytes hold ``# /// script`` (a PEP 723 script, or a file mentioning one),
# found while its bytes are at hand for the scan: (mtime in ns, size, text), valid while the file's SCANS entry has
# the same mtime and size. A file with a SCANS entry and none here holds no block: ``model.scripts`` reads no file
# to find the scripts of a project.
SCRIPT_MARKER = b"# /// script"
MAX_SCRIPT_BYTES = 8 << 20  # a larger file is no script anyone runs with uv
SCRIPT_TEXTS: MemoryCache[str, tuple[int, int, str]] = MemoryCache(
    name="imports.script_texts",
    key="a .py file's path as given (os.fspath)",
    invalidation="used only with the file's current scan (its SCANS entry, same mtime and size)",
    owner="the process (the CLI fills it from its on-disk cache)",
    limit=1 << 20,  # as SCANS: an entry dropped here while its scan is kept would make a script no script
)


def script_text_from_bytes(name: str, data: bytes) -> str | None:
    """The text of a ``.py`` file holding ``# /// script`` (UTF-8, at most ``MAX_SCRIPT_BYTES``), else ``None``."""
    if SCRIPT_MARKER not in data or len(data) > MAX_SCRIPT_BYTES or not name.endswith(".py"):
        return None
    from venvsense.text import UnreadableFile, decode_text

    try:
        return decode_text(Path(name), data)
    except UnreadableFile:
        return None


def known_script_text(name: str, scan: ScanResult) -> tuple[bool, str | None]:
    """Whether it is known (from when the file was read for ``scan``, in this process or by the run that wrote
    the on-disk cache) if the file holds ``# /// script``; and its text when it does."""
    entry = SCANS.get(name)
    if entry is None or entry[2] is not scan:
        return False, None
    marked = SCRIPT_TEXTS.get(name)
    if marked is None or marked[0] != entry[0] or marked[1] != entry[1]:
        return True, None
    return True, marked[2]


# `importlib.import_module("x")`, `pytest.importorskip("x")`, `__import__("x")` with a literal name: the call
# names are found with bytes.find (a regular expression starting with an alternation tries every position: ten
# times slower), the argument with a pattern anchored right after the parenthesis
_BY_STRING_CALLS = (b"import_module(", b"importorskip(", b"__import__(")
_BY_STRING_ARGUMENT = re.compile(rb"""\s*(?:name\s*=\s*)?[rRuU]?["']([A-Za-z_][\w.]*)["']""")
BY_STRING_PROVIDERS = frozenset({"importlib", "pytest", "_pytest"})


def called_by_string(data: bytes) -> tuple[str, ...]:
    """The module names a file's bytes import by string, in order."""
    found: list[str] = []
    for call in _BY_STRING_CALLS:
        at = data.find(call)
        while at != -1:
            before = data[at - 1:at]
            if not (before.isalnum() or before == b"_"):  # a whole name, not `my_import_module(`
                argument = _BY_STRING_ARGUMENT.match(data, at + len(call))
                if argument is not None:
                    found.append(argument.group(1).decode("ascii", "replace"))
            at = data.find(call, at + len(call))
    return tuple(found)


def imports_a_provider(scan: ScanResult) -> bool:
    """Whether the file imports ``importlib`` or ``pytest`` (only then can it import by string)."""
    providers = BY_STRING_PROVIDERS
    return any(module.partition(".")[0] in providers for module in scan.modules)


def string_imports(scanned: Mapping[Path, ScanResult]) -> set[str]:
    """The module names the project's files import by string: uses of a distribution, though not imports that
    must resolve. A file's answer comes from when it was read for its scan (this process, or the on-disk cache);
    a file scanned otherwise (an editor's buffer) is read again."""
    found: set[str] = set()
    for path, scan in scanned.items():
        if not imports_a_provider(scan):
            continue
        name = os.fspath(path)
        entry = SCANS.get(name)
        if entry is not None and entry[2] is scan:
            known = STRING_IMPORTS.get(name)
            if known is not None and known[0] == entry[0] and known[1] == entry[1]:
                found.update(known[2])
                continue
        try:
            with open(name, "rb", opener=_nonblocking) as handle:
                status = os.fstat(handle.fileno())
                if not stat.S_ISREG(status.st_mode):
                    continue
                data = read_capped(handle, status.st_size, MAX_MODULE_BYTES)
        except OSError:
            continue
        names = called_by_string(data)
        if entry is not None and entry[2] is scan and entry[0] == status.st_mtime_ns and entry[1] == status.st_size:
            STRING_IMPORTS.put(name, (status.st_mtime_ns, status.st_size, names))
        found.update(names)
    return found


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
        status, read = read_regular(name, MAX_MODULE_BYTES)
    except OSError as error:
        return ScanResult((), f"cannot be read ({error.strerror or error})")
    if read is None:  # a FIFO or a device could block or never end
        return ScanResult((), "is not a regular file: its imports are not read")
    data = read
    if len(data) > MAX_MODULE_BYTES:
        return ScanResult((), f"is too large ({max(status.st_size, len(data)) / (1 << 20):,.0f} MB, more than "
                              f"{MAX_MODULE_BYTES >> 20} MB): its imports are not read")
    if name.endswith(NOTEBOOK_SUFFIX):  # a notebook's code cells, joined, are its module text
        code = notebook_code(data)
        remember(name, status.st_mtime_ns, status.st_size, code)
        result = ScanResult((), code.error) if code.error else scan_source(code.text)
    else:
        result = scan_bytes(data)
    SCANS.put(name, (status.st_mtime_ns, status.st_size, result))
    if imports_a_provider(result):
        STRING_IMPORTS.put(name, (status.st_mtime_ns, status.st_size, called_by_string(data)))
    script = script_text_from_bytes(name, data)
    if script is not None:
        SCRIPT_TEXTS.put(name, (status.st_mtime_ns, status.st_size, script))
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
    STRING_IMPORTS.clear()
    SCRIPT_TEXTS.clear()

