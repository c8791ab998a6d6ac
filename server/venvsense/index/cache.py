"""The on-disk cache of index answers: one JSON file per URL with the body and its HTTP validators (``ETag``,
``Last-Modified``) for conditional GETs, and a sorted names file per project list (searched in place).

Where: ``$VENVSENSE_CACHE_DIR/index`` (empty: no cache), else ``$XDG_CACHE_HOME/venvsense/index``, else
``~/.cache/venvsense/index`` — never inside a project. A file is named by a hash of its full URL (credentials
included, so two accounts never share an answer); the URL stored inside it is the redacted one. Writes are
atomic (a temporary file renamed over the old one): readers in other threads or processes see the old answer
or the new one, never half of one. Parsed pages are kept in memory by the file's ``(path, mtime, size)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from venvsense.caches import MemoryCache
from venvsense.index.sources import redact

T = TypeVar("T")
_FORMAT = "venvsense-index-cache-1"

_parsed: MemoryCache[tuple[str, str, int, int], Any] = MemoryCache(
    "index.parsed", "what was parsed from a cached answer: kind, its file's path, mtime and size",
    "a new answer is a new file (another mtime or size)", "the process", limit=2048)


@dataclass(frozen=True)
class Entry:
    """One cached answer."""

    url: str  # redacted: what may be shown
    body: str
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched: float  # seconds since the epoch of the last answer from the index (200 or 304)


def default_folder(environ: Mapping[str, str]) -> Path | None:
    configured = environ.get("VENVSENSE_CACHE_DIR")
    if configured is not None:
        return Path(configured) / "index" if configured.strip() else None
    if sys.platform == "win32" and environ.get("LOCALAPPDATA"):
        return Path(environ["LOCALAPPDATA"]) / "venvsense" / "Cache" / "index"
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "venvsense" / "index" if os.path.isabs(base) else None


def _atomic_write(path: Path, data: bytes) -> None:
    import tempfile  # on the first write only

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class DiskCache:
    """Cached answers under one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> DiskCache | None:
        folder = default_folder(os.environ if environ is None else environ)
        return cls(folder) if folder is not None else None

    def path_for(self, url: str, suffix: str = ".json") -> Path:
        return self.folder / (hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:40] + suffix)

    def _stat(self, path: Path) -> tuple[int, int] | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def load(self, url: str) -> Entry | None:
        """The cached answer for ``url`` (``None``: none, or unreadable)."""
        return self.parsed(url, "entry", lambda entry: entry)

    def parsed(self, url: str, kind: str, parse: Callable[[Entry], T]) -> T | None:
        """``parse(entry)`` of the cached answer for ``url``, memoized while the file is unchanged."""
        path = self.path_for(url)
        stamp = self._stat(path)
        if stamp is None:
            return None
        key = (kind, str(path), *stamp)
        found = _parsed.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        entry = self._read(path)
        if entry is None:
            return None
        value: T = _parsed.put(key, parse(entry))
        return value

    def _read(self, path: Path) -> Entry | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return None
        try:
            return Entry(str(data["url"]), str(data["body"]), str(data["content_type"]),
                         data.get("etag") if isinstance(data.get("etag"), str) else None,
                         data.get("last_modified") if isinstance(data.get("last_modified"), str) else None,
                         float(data["fetched"]))
        except (KeyError, TypeError, ValueError):
            return None

    def store(self, url: str, entry: Entry) -> None:
        record = {"format": _FORMAT, **asdict(entry), "url": redact(url)}
        _atomic_write(self.path_for(url), json.dumps(record).encode("utf-8"))

    # --- project lists: a sorted file of canonical names, one a line, searched with a binary search -------

    def names_path(self, url: str) -> Path:
        return self.path_for(url, ".names")

    def store_names(self, url: str, names: list[str]) -> None:
        _atomic_write(self.names_path(url), "\n".join(names).encode("utf-8"))

    def names_starting(self, url: str, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` cached project names of the index at ``url`` that start with ``prefix``."""
        try:
            with open(self.names_path(url), "rb") as handle:
                if os.fstat(handle.fileno()).st_size == 0:
                    return []
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                    return _starting(view, prefix.encode("utf-8"), limit)
        except (OSError, ValueError):
            return []


def _starting(view: mmap.mmap, prefix: bytes, limit: int) -> list[str]:
    size = len(view)
    low, high = 0, size
    while low < high:  # the first line >= prefix; ``low`` is always a line's start
        middle = (low + high) // 2
        start = view.rfind(b"\n", 0, middle) + 1
        end = view.find(b"\n", start)
        end = size if end == -1 else end
        if view[start:end] < prefix:
            low = end + 1
        else:
            high = start
    found: list[str] = []
    position = low
    while position < size and len(found) < limit:
        end = view.find(b"\n", position)
        end = size if end == -1 else end
        line = view[position:end]
        if not line.startswith(prefix):
            break
        found.append(line.decode("utf-8", "replace"))
        position = end + 1
    return found
