"""What an editor shows about one installed distribution beyond what the checks read: its summary, license and
links (``Project-URL``, ``Home-page``) from its metadata, and where an editable install's source lives (the
installed distributions that require it are ``mapping.ModuleIndex.dependents``).

Reads are capped as ``metadata.read_bytes`` caps them and only the header block of ``METADATA``/``PKG-INFO`` is
parsed (never the long description). Answers are cached (``environment.details``) per metadata file and its mtime.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from venvsense.caches import MemoryCache
from venvsense.environment.metadata import Distribution, read_bytes

MAX_FIELD = 300  # characters of a summary or a license shown (a license field may hold the whole licence text)
MAX_LINKS = 12
_DETAIL_HEADERS = frozenset({"summary", "license", "license-expression", "home-page", "project-url",
                             "download-url", "classifier"})


@dataclass(frozen=True)
class Details:
    """What the metadata says about a distribution, for people. ``links`` are (label, URL), http(s) only;
    ``editable_location`` is the folder an editable install points at (``direct_url.json``, an ``.egg-link``)."""

    summary: str | None
    license: str | None
    links: tuple[tuple[str, str], ...]
    editable_location: Path | None


DETAILS: MemoryCache[tuple[Path, int], Details] = MemoryCache(
    name="environment.details",
    key="a distribution's metadata path and the mtime of its metadata file",
    invalidation="a reinstall rewrites the metadata file (a new mtime, hence a new key)",
    owner="the process (the language server's hovers)",
    limit=512,
)

def _metadata_file(dist: Distribution) -> Path:
    path = dist.metadata_path
    if path.name.endswith(".dist-info"):
        return path / "METADATA"
    if path.name.endswith(".egg-info") and path.is_dir():
        return path / "PKG-INFO"
    return path


def _headers(data: bytes) -> dict[str, list[str]]:
    """The header block of a metadata file (up to its first blank line), folded lines joined; keys lower-case."""
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if i >= 0]
    text = data[: min(ends)] if ends else data
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.decode("utf-8", "replace").removeprefix("\ufeff").replace("\x00", "").splitlines():
        if line[:1] in (" ", "\t"):
            if last is not None:
                last[-1] += " " + line.strip()
            continue
        key, separator, value = line.partition(":")
        key = key.strip().lower()
        if separator and key in _DETAIL_HEADERS:
            last = headers.setdefault(key, [])
            last.append(value.strip())
        else:
            last = None
    return headers


def _cut(text: str | None) -> str | None:
    if not text or text.upper() == "UNKNOWN":
        return None
    text = " ".join(text.split())
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "…"


def _web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https") and not any(c in url for c in " <>\"`")


def _links(headers: Mapping[str, list[str]]) -> tuple[tuple[str, str], ...]:
    found: dict[str, tuple[str, str]] = {}
    for value in headers.get("home-page", []):
        if _web(value):
            found.setdefault(value, ("Homepage", value))
    for value in headers.get("project-url", []):
        label, separator, url = value.partition(",")
        url = url.strip()
        if separator and _web(url):
            found.setdefault(url, (label.strip() or "Link", url))
    for value in headers.get("download-url", []):
        if _web(value):
            found.setdefault(value, ("Download", value))
    return tuple(found.values())[:MAX_LINKS]


def _license(headers: Mapping[str, list[str]]) -> str | None:
    expression = _cut((headers.get("license-expression") or [""])[0])
    if expression:
        return expression
    written = _cut((headers.get("license") or [""])[0])
    if written and "\n" not in written and len(written) <= 80:
        return written
    classifiers = [c.rpartition("::")[2].strip() for c in headers.get("classifier", [])
                   if c.startswith("License ::") and c.count("::") >= 2]
    if classifiers:
        return ", ".join(classifiers)
    return written


def _editable_location(dist: Distribution) -> Path | None:
    if not dist.editable:
        return None
    path = dist.metadata_path
    if path.name.endswith(".egg-link"):
        data = read_bytes(path, kind=".egg-link")
        first = data.decode("utf-8", "replace").splitlines()[0].strip() if data else ""
        return Path(first) if first else None
    data = read_bytes(path / "direct_url.json", kind="direct_url.json")
    try:
        document = json.loads(data) if data else None
    except (ValueError, RecursionError):
        return None
    url = document.get("url") if isinstance(document, dict) else None
    if isinstance(url, str) and url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    return None


def details(dist: Distribution) -> Details:
    """The distribution's summary, license, links and editable location (cached per metadata file)."""
    metadata = _metadata_file(dist)
    try:
        stamp = os.stat(metadata).st_mtime_ns
    except OSError:
        stamp = -1
    key = (dist.metadata_path, stamp)
    found = DETAILS.get(key)
    if found is not None:
        return found
    data = read_bytes(metadata, kind="METADATA") if stamp >= 0 else None
    headers = _headers(data) if data else {}
    made = Details(summary=_cut((headers.get("summary") or [""])[0]), license=_license(headers),
                   links=_links(headers), editable_location=_editable_location(dist))
    return DETAILS.put(key, made)
