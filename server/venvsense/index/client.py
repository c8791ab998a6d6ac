"""Talking to package indexes: conditional GETs with short timeouts, answers kept in the ``DiskCache``, and the
``IndexService`` that the language server and the rules ask — from the cache at once, refreshing in the
background on its own threads (never the caller's).

Why the standard library's ``urllib`` and not httpx or requests: these are a few small GETs, one at a time per
worker thread, with a short timeout each; ``urllib`` does TLS with the system's certificates, proxies from
the environment (``https_proxy``/``no_proxy``) and redirects, and adds no dependency to a server that is
installed into every editor. Credentials in an index URL (``https://user:token@host/simple/``) are sent as a
``Basic`` ``Authorization`` header that is not carried over a redirect to another host, and never shown:
every message names the index by ``sources.redact``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from venvsense import __version__
from venvsense.caches import MemoryCache
from venvsense.environment.metadata import parse_metadata_headers
from venvsense.index.cache import DiskCache, Entry
from venvsense.index.simple import ACCEPT, File, Release, parse_names, parse_project
from venvsense.index.sources import IndexUrl, redact

if TYPE_CHECKING:
    import urllib.request
    from email.message import Message

logger = logging.getLogger("venvsense.index")

TIMEOUT = 4.0  # seconds per connection attempt and per read
PAGE_MAX_AGE = 10 * 60.0  # a project page fetched this recently is not asked for again
NAMES_MAX_AGE = 24 * 3600.0  # nor a project list
PAGE_LIMIT = 32 << 20  # bytes: the largest project page read (PyPI's largest are a few MB)
NAMES_LIMIT = 256 << 20  # the largest project list (PyPI's JSON list is ~ 50 MB)
METADATA_LIMIT = 4 << 20
WORKERS = 2
USER_AGENT = f"venvsense/{__version__} (+https://github.com/venvsense/venvsense)"

Status = Literal["fetched", "not-modified", "failed"]

# the newest release of each name seen in any cached page read by this process (the hover's line)
_newest: MemoryCache[str, str] = MemoryCache(
    "index.newest", "a canonical distribution name", "replaced whenever a cached page of it is read",
    "the process", limit=8192)


def newest_cached(name: str) -> str | None:
    """The newest final release of ``name`` in an index answer this process has read, or ``None`` (no network,
    no disk: what completion, VS210 or a refresh already read)."""
    return _newest.get(canonicalize_name(name))


@dataclass(frozen=True)
class Fetched:
    status: Status
    entry: Entry | None  # the answer now in the cache (new, revalidated or old), ``None`` when there is none
    error: str | None = None  # why it failed (the URL redacted)


def _request(url: str, accept: str, entry: Entry | None) -> urllib.request.Request:
    import urllib.request

    parts = urlsplit(url)
    user = ""
    if "@" in parts.netloc:
        user, _, host = parts.netloc.rpartition("@")
        url = urlunsplit(parts._replace(netloc=host))
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": USER_AGENT,
                                                   "Cache-Control": "max-age=0"})
    if user:
        login, _, password = user.partition(":")
        token = base64.b64encode(f"{unquote(login)}:{unquote(password)}".encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")  # never sent on to a redirect
    if entry is not None and entry.etag:
        request.add_header("If-None-Match", entry.etag)
    if entry is not None and entry.last_modified:
        request.add_header("If-Modified-Since", entry.last_modified)
    return request


def _charset(headers: Message) -> str:
    return headers.get_content_charset() or "utf-8"


class Fetcher:
    """Conditional GETs through the ``DiskCache`` (without one, nothing is kept)."""

    def __init__(self, cache: DiskCache | None, timeout: float = TIMEOUT) -> None:
        self.cache = cache
        self.timeout = timeout
        self.requests = 0  # how many requests were sent (tests, the log)

    def get(self, url: str, *, accept: str = ACCEPT, limit: int = PAGE_LIMIT, keep_body: bool = True,
            conditional: bool = True) -> Fetched:
        """GET ``url`` (conditionally, with the cached answer's validators); the answer is cached, without its
        body when ``keep_body`` is false (a project list: its names are kept apart)."""
        cached = self.cache.load(url) if self.cache is not None else None
        if not conditional:
            cached = None
        self.requests += 1
        # urllib.request brings http.client, email, ssl and socket: imported on the first request, not by the
        # engine or the language server's start-up (answers from the cache need none of them)
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(_request(url, accept, cached), timeout=self.timeout) as response:
                body = response.read(limit + 1)
                if len(body) > limit:
                    return Fetched("failed", cached, f"{redact(url)}: the answer is larger than {limit >> 20} MB")
                headers = response.headers
                entry = Entry(redact(url), body.decode(_charset(headers), "replace"),
                              headers.get_content_type() if headers.get("Content-Type") else "",
                              headers.get("ETag"), headers.get("Last-Modified"), time.time())
        except urllib.error.HTTPError as error:
            if error.code == 304 and cached is not None:
                entry = Entry(cached.url, cached.body, cached.content_type,
                              error.headers.get("ETag") or cached.etag,
                              error.headers.get("Last-Modified") or cached.last_modified, time.time())
                self._store(url, entry)
                return Fetched("not-modified", entry)
            return Fetched("failed", cached, f"{redact(url)}: HTTP {error.code}")
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            return Fetched("failed", cached, f"{redact(url)}: {type(reason).__name__}: {redact(str(reason))}")
        self._store(url, entry if keep_body else dataclasses.replace(entry, body=""))
        return Fetched("fetched", entry)

    def _store(self, url: str, entry: Entry) -> None:
        if self.cache is None:
            return
        try:
            self.cache.store(url, entry)
        except OSError as error:
            logger.info("venvsense: cannot write the index cache in %s: %s", self.cache.folder, error)


def project_url(index: IndexUrl, name: str) -> str:
    return f"{index.url}{quote(canonicalize_name(name))}/"


def _releases(entry: Entry, url: str, name: str) -> tuple[Release, ...]:
    page = parse_project(entry.body, entry.content_type, url, name)
    return tuple(page.releases()) if page is not None else ()


@dataclass(frozen=True)
class Versions:
    """What the indexes answered for one name: releases newest first, and whether any answer is cached."""

    releases: tuple[Release, ...]
    known: bool  # some index's answer is in the cache (else the releases are empty because nothing is known)
    fetched: float = 0.0  # the oldest answer's time (0 when none)


class IndexService:
    """The indexes as completion, hovers and VS210 see them: cached answers at once (``versions``, ``names``),
    network only in ``refresh_*`` (run on the service's own worker threads by ``schedule``), never when
    ``offline``. ``on_update(key)`` is called (from a worker thread) when a refresh brought a new answer."""

    def __init__(self, cache: DiskCache | None, *, timeout: float = TIMEOUT,
                 on_update: Callable[[str], None] | None = None) -> None:
        self.fetcher = Fetcher(cache, timeout)
        self.cache = cache
        self.on_update = on_update
        self._slots = threading.BoundedSemaphore(WORKERS)
        self._stopped = False
        self._lock = threading.Lock()
        self._running: dict[str, Future[bool]] = {}
        self.errors: list[str] = []  # the last failures (redacted), newest last

    # --- cached answers: no network --------------------------------------------------------------------

    def versions(self, indexes: Sequence[IndexUrl], name: str) -> Versions:
        """Every release of ``name`` on the indexes (merged), newest first, from the cache."""
        if self.cache is None:
            return Versions((), False)
        merged: dict[object, Release] = {}
        known = False
        oldest = 0.0
        for index in indexes:
            url = project_url(index, name)
            entry = self.cache.load(url)
            if entry is None:
                continue
            known = True
            oldest = entry.fetched if not oldest else min(oldest, entry.fetched)
            for release in self.cache.parsed(url, "releases", functools.partial(_releases, url=url, name=name)) or ():
                if release.version not in merged:
                    merged[release.version] = release
                else:
                    merged[release.version] = Release(release.version, merged[release.version].files + release.files)
        releases = tuple(sorted(merged.values(), key=lambda r: r.version, reverse=True))
        final = next((r for r in releases if not r.version.is_prerelease and not r.yanked), None)
        if final is not None:
            _newest.put(canonicalize_name(name), str(final.version))
        return Versions(releases, known, oldest)

    def names(self, indexes: Sequence[IndexUrl], prefix: str, limit: int = 200) -> list[str]:
        """Cached project names of the indexes starting with ``prefix`` (canonical), sorted, each once."""
        if self.cache is None:
            return []
        wanted = canonicalize_name(prefix) if prefix.strip("-_.") else prefix.lower()
        found: set[str] = set()
        for index in indexes:
            found.update(self.cache.names_starting(index.url, wanted, limit))
        return sorted(found)[:limit]

    def needs_refresh(self, indexes: Sequence[IndexUrl], name: str | None) -> bool:
        """Whether some answer for ``name`` (``None``: the project lists) is missing or older than its age."""
        if self.cache is None:
            return False
        now = time.time()
        for index in indexes:
            url = index.url if name is None else project_url(index, name)
            entry = self.cache.load(url)
            age = NAMES_MAX_AGE if name is None else PAGE_MAX_AGE
            unlisted = name is None and not self.cache.names_path(url).is_file()
            if entry is None or now - entry.fetched > age or unlisted:
                return True
        return False

    # --- network: call from a worker thread (``schedule``) -----------------------------------------------

    def refresh_project(self, indexes: Sequence[IndexUrl], name: str, *, force: bool = False) -> bool:
        """Ask each index for ``name``'s page (conditionally); whether an answer changed."""
        changed = False
        for index in indexes:
            url = project_url(index, name)
            entry = self.cache.load(url) if self.cache is not None else None
            if not force and entry is not None and time.time() - entry.fetched <= PAGE_MAX_AGE:
                continue
            result = self.fetcher.get(url)
            changed |= self._outcome(result)
        return changed

    def refresh_names(self, indexes: Sequence[IndexUrl], *, force: bool = False) -> bool:
        """Ask each index for its project list; the names are kept sorted beside the answer."""
        changed = False
        for index in indexes:
            entry = self.cache.load(index.url) if self.cache is not None else None
            listed = self.cache is not None and self.cache.names_path(index.url).is_file()
            if not force and listed and entry is not None and time.time() - entry.fetched <= NAMES_MAX_AGE:
                continue
            result = self.fetcher.get(index.url, limit=NAMES_LIMIT, keep_body=False, conditional=listed)
            if result.status == "fetched" and result.entry is not None and self.cache is not None:
                try:
                    self.cache.store_names(index.url, parse_names(result.entry.body, result.entry.content_type))
                except OSError as error:
                    logger.info("venvsense: cannot write the index cache: %s", error)
            changed |= self._outcome(result)
        return changed

    def metadata_extras(self, file: File) -> tuple[str, ...] | None:
        """The ``Provides-Extra`` of a file's core metadata (PEP 658), cached; ``None`` when unknown. Network:
        call from a worker thread."""
        if not file.metadata or not file.url:
            return None
        url = file.url + ".metadata"
        entry = self.cache.load(url) if self.cache is not None else None
        if entry is None:
            result = self.fetcher.get(url, accept="*/*", limit=METADATA_LIMIT)
            self._outcome(result)
            entry = result.entry
        return extras_of(entry) if entry is not None else None

    def cached_extras(self, file: File) -> tuple[str, ...] | None:
        if not file.metadata or not file.url or self.cache is None:
            return None
        return self.cache.parsed(file.url + ".metadata", "extras", extras_of)

    def _outcome(self, result: Fetched) -> bool:
        if result.status == "failed" and result.error:
            logger.info("venvsense: index: %s", result.error)
            self.errors = [*self.errors[-9:], result.error]
        return result.status == "fetched"

    # --- background ------------------------------------------------------------------------------------

    def schedule(self, key: str, work: Callable[[], bool]) -> Future[bool] | None:
        """Run ``work`` on a worker thread unless work under ``key`` is already running; ``on_update(key)``
        when it says an answer changed. Workers are daemon threads, at most ``WORKERS`` at once: a request
        stuck in a slow DNS lookup never holds up the server's exit."""
        with self._lock:
            if key in self._running or self._stopped:
                return None
            future: Future[bool] = Future()
            self._running[key] = future
        threading.Thread(target=self._run, args=(key, work, future), daemon=True,
                         name=f"venvsense-index {key[:40]}").start()
        return future

    def _run(self, key: str, work: Callable[[], bool], future: Future[bool]) -> None:
        changed = False
        with self._slots:
            try:
                changed = work()
            except Exception:  # a bug in a refresh must not go unseen; the next request tries again
                logger.exception("venvsense: index refresh %s", key)
            finally:
                with self._lock:
                    self._running.pop(key, None)
        future.set_result(changed)
        if changed and self.on_update is not None and not self._stopped:
            self.on_update(key)

    def pending(self) -> list[Future[bool]]:
        with self._lock:
            return list(self._running.values())

    def stop(self) -> None:
        self._stopped = True


def refresh_stale(service: IndexService, indexes: Sequence[IndexUrl], names: Iterable[str]) -> bool:
    """Refresh (now, on up to ``WORKERS`` threads) the answers for ``names`` that are missing or old; whether one
    changed. For a shell that waits for them (the CLI's ``check`` with ``check-outdated``)."""
    stale = [name for name in dict.fromkeys(names) if service.needs_refresh(indexes, name)]
    if not stale:
        return False
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="venvsense-index") as pool:
        return any(list(pool.map(lambda name: service.refresh_project(indexes, name), stale)))


def extras_of(entry: Entry) -> tuple[str, ...]:
    headers, _ = parse_metadata_headers(entry.body.encode("utf-8", "replace"))
    return tuple(dict.fromkeys(canonicalize_name(e) for e in headers.get("provides-extra", []) if e.strip()))


def newest_compatible(releases: Iterable[Release], python: str | None, *, prereleases: bool = False) -> Release | None:
    """The newest release that is not yanked, supports ``python`` and is final (unless ``prereleases``)."""
    for release in releases:
        if release.yanked or (release.version.is_prerelease and not prereleases):
            continue
        if release.supports(python):
            return release
    return None


def cache_folder_of(service: IndexService) -> Path | None:
    return service.cache.folder if service.cache is not None else None
