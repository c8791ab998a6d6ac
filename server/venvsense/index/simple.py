"""The simple repository API read: a project's page (PEP 691 JSON, PEP 503 HTML as a fallback) and the index's
project list, into plain values. Total on bad input: what cannot be read is left out, nothing raises.

A file's version comes from its name (``packaging.utils`` parses wheel and sdist names); PEP 592 ``yanked``,
PEP 503 ``data-requires-python``, PEP 658/714 ``core-metadata`` / ``dist-info-metadata`` and PEP 700
``upload-time`` / ``versions`` are kept when the index gives them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
ACCEPT = f"{JSON_TYPE}, {HTML_TYPE};q=0.2, text/html;q=0.01"


@dataclass(frozen=True)
class File:
    """One distribution file of a project's page."""

    filename: str
    url: str
    version: str
    requires_python: str | None = None
    yanked: bool = False
    upload_time: str | None = None
    metadata: bool = False  # PEP 658: the core metadata is served at ``url + ".metadata"``

    @property
    def wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class Release:
    """One version of a project with its files, as completion and VS210 use it."""

    version: Version
    files: tuple[File, ...]

    @property
    def yanked(self) -> bool:
        """PEP 592: a version is yanked when all its files are."""
        return bool(self.files) and all(f.yanked for f in self.files)

    @property
    def upload_time(self) -> str | None:
        times = [f.upload_time for f in self.files if f.upload_time]
        return min(times) if times else None

    def supports(self, python: str | None) -> bool:
        """Whether some file of this version may be installed on ``python`` (its ``Requires-Python``)."""
        if python is None or not self.files:
            return True
        for file in self.files:
            if not file.requires_python:
                return True
            try:
                if SpecifierSet(file.requires_python).contains(python, prereleases=True):
                    return True
            except InvalidSpecifier:
                return True
        return False


@dataclass(frozen=True)
class ProjectPage:
    """A project's page on one index."""

    name: str
    files: tuple[File, ...]
    versions: tuple[str, ...] = ()  # PEP 700's list (versions without files included)

    def releases(self) -> list[Release]:
        """Every version with its files, newest first (versions that do not parse are left out)."""
        by_version: dict[Version, list[File]] = {}
        for text in self.versions:
            parsed = _version(text)
            if parsed is not None:
                by_version.setdefault(parsed, [])
        for file in self.files:
            parsed = _version(file.version)
            if parsed is not None:
                by_version.setdefault(parsed, []).append(file)
        return [Release(v, tuple(by_version[v])) for v in sorted(by_version, reverse=True)]


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def file_version(filename: str) -> str | None:
    """The version in a wheel's or sdist's file name, ``None`` for other files."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _file(filename: str, url: str, *, requires_python: Any = None, yanked: bool = False, upload_time: Any = None,
          metadata: bool = False) -> File | None:
    version = file_version(filename)
    if version is None:
        return None
    return File(filename, url, version, requires_python if isinstance(requires_python, str) and
                requires_python.strip() else None, yanked, upload_time if isinstance(upload_time, str) else None,
                metadata)


def parse_project_json(text: str, base_url: str) -> ProjectPage | None:
    """A PEP 691 project page; ``None`` when it is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    files: list[File] = []
    for entry in data["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            continue
        url = entry.get("url")
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        found = _file(entry["filename"], urljoin(base_url, url) if isinstance(url, str) else "",
                      requires_python=entry.get("requires-python"),
                      yanked="yanked" in entry and entry["yanked"] is not False,
                      upload_time=entry.get("upload-time"), metadata=bool(metadata))
        if found is not None:
            files.append(found)
    versions = data.get("versions")
    name = data.get("name")
    return ProjectPage(name if isinstance(name, str) else "", tuple(files),
                       tuple(v for v in versions if isinstance(v, str)) if isinstance(versions, list) else ())


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def _anchors(text: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Anchors()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # html.parser's complaints about broken markup
        pass
    return parser.anchors


def parse_project_html(text: str, base_url: str, name: str = "") -> ProjectPage:
    """A PEP 503 project page (anchors to files, with their ``data-*`` attributes)."""
    files: list[File] = []
    for attrs, label in _anchors(text):
        href = attrs.get("href") or ""
        filename = label or href.split("#", 1)[0].rsplit("/", 1)[-1]
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        found = _file(filename, urljoin(base_url, href.split("#", 1)[0]),
                      requires_python=attrs.get("data-requires-python"), yanked="data-yanked" in attrs,
                      metadata=metadata is not None and metadata != "false")
        if found is not None:
            files.append(found)
    return ProjectPage(name, tuple(files))


def parse_project(text: str, content_type: str, base_url: str, name: str = "") -> ProjectPage | None:
    """A project page of either form, by its content type (JSON first when the type says nothing)."""
    if "json" in content_type or (not content_type and text.lstrip().startswith("{")):
        return parse_project_json(text, base_url)
    return parse_project_html(text, base_url, name)


_JSON_NAME = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _json_string(body: str) -> str:
    try:
        value = json.loads(f'"{body}"')
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""


def parse_names(text: str, content_type: str) -> list[str]:
    """The index's project list (``/simple/``), as canonical names, sorted, each once."""
    names: Iterable[Any]
    if "json" in content_type or (not content_type and text.lstrip().startswith("{")):
        # PyPI's list has ~700,000 entries: the names are taken with a pattern, without making a dict per project
        # (a JSON string of a project name has no escapes; one that has is read with json)
        names = [match.group(1) if "\\" not in match.group(1) else _json_string(match.group(1))
                 for match in _JSON_NAME.finditer(text)]
    else:
        names = (label for _, label in _anchors(text))
    return sorted({canonicalize_name(n) for n in names if isinstance(n, str) and n.strip()})
