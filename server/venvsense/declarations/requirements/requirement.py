"""What one requirement of a requirements file means, as pip's ``req/constructors.py`` decides it
(``install_req_from_line``, ``install_req_from_editable``): a name and specifier, a URL, a local folder or
archive, or an editable."""

from __future__ import annotations

import functools
import os
import posixpath
import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from venvsense.declarations import Kind
from venvsense.text import lazy_pattern

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["NAME", "QUOTE_LIMIT", "ParsedRequirement", "Rejected", "parse_editable", "parse_line_requirement",
           "quote", "simple_requirement"]

QUOTE_LIMIT = 80  # the most characters of a line a message quotes

_VCS_SCHEMES = {
    "bzr": ("http", "https", "ssh", "sftp", "ftp", "lp", "file"),
    "git": ("http", "https", "ssh", "git", "file"),
    "hg": ("file", "http", "https", "ssh", "static-http"),
    "svn": ("ssh", "http", "https", "svn", "file"),
}
_VCS_URL_SCHEMES = frozenset(f"{vcs}+{scheme}" for vcs, schemes in _VCS_SCHEMES.items() for scheme in schemes)
_URL_SCHEMES = frozenset({"http", "https", "file", "ftp"}) | _VCS_URL_SCHEMES
_URL_SCHEME = lazy_pattern(r"([A-Za-z][A-Za-z0-9+.-]*):")
_ARCHIVE_EXTENSIONS = (".zip", ".whl", ".tar.bz2", ".tbz", ".tar.gz", ".tgz", ".tar", ".tar.xz", ".txz",
                       ".tlz", ".tar.lz", ".tar.lzma")
_EXTRAS_SUFFIX = lazy_pattern(r"^(.+)(\[[^\]]+\])$")  # pip's strip_extras
_EGG = lazy_pattern(r"[#&]egg=([^&]*)")
_PROJECT_NAME = lazy_pattern(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.I)
_NAME_AT_START = lazy_pattern(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">", "===")
# ``name[extras] op version, ...`` with plain release versions: read without packaging's (slower) parser, to
# the same result. Anything else (markers, URLs, pre-releases, wildcards, ~=) goes through packaging.
NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = r"(?:==|!=|<=|>=|<|>)[ \t]*[0-9]+(?:\.[0-9]+)*"
_SIMPLE = re.compile(
    rf"({NAME})[ \t]*(?:\[[ \t]*({NAME}(?:[ \t]*,[ \t]*{NAME})*)?[ \t]*\][ \t]*)?"
    rf"(?:(==|!=|<=|>=|<|>)[ \t]*([0-9]+(?:\.[0-9]+)*)((?:[ \t]*,[ \t]*{_CLAUSE})*)[ \t]*)?"
)
_SIMPLE_CLAUSE = re.compile(r"(==|!=|<=|>=|<|>)[ \t]*([0-9.]+)")


class ParsedRequirement(NamedTuple):
    """What a requirement means, wherever it is written."""

    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    kind: Kind
    url: str | None


class Rejected(ValueError):
    """A requirement pip would refuse: why, and the package it seems to name (when one can be guessed)."""

    def __init__(self, message: str, package: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.package = package


def quote(text: str) -> str:
    """``text`` as a message shows it: at most ``QUOTE_LIMIT`` characters, an ellipsis marking a cut."""
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


def _q(text: str) -> str:
    """``repr`` of ``text`` capped to ``QUOTE_LIMIT`` characters."""
    return repr(quote(text))


def _url_scheme(text: str) -> str | None:
    match = _URL_SCHEME().match(text)
    return match.group(1).lower() if match else None


def _is_url(text: str) -> bool:
    """pip's ``is_url``: a scheme pip fetches from (http, https, file, ftp or a VCS scheme)."""
    return _url_scheme(text) in _URL_SCHEMES


def _is_archive(name: str) -> bool:
    return name.lower().endswith(_ARCHIVE_EXTENSIONS)


def _looks_like_path(name: str) -> bool:
    return os.sep in name or (os.altsep is not None and os.altsep in name) or name.startswith(".")


def _strip_extras(text: str) -> tuple[str, tuple[str, ...]]:
    match = _EXTRAS_SUFFIX().match(text)
    if not match:
        return text, ()
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        extras = Requirement("placeholder" + match.group(2)).extras
    except InvalidRequirement:
        raise Rejected(f"invalid extras {_q(match.group(2))} in {_q(text)}") from None
    return match.group(1).rstrip(), tuple(sorted(extras))


def _egg_name(url: str) -> str:
    match = _EGG().search(url)
    if not match:
        return ""
    if not _PROJECT_NAME().match(match.group(1)):
        raise Rejected(f"invalid #egg= fragment {_q(match.group(1))} in {_q(url)}: it must be a project name, "
                        "without extras or a version")
    return match.group(1)


def _url_filename(url: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    return posixpath.basename(path.rstrip("/"))


def _archive_name(filename: str) -> tuple[str, str]:
    """The project name as written in a wheel or sdist file name, and the ``==version`` pip pins a wheel to."""
    if filename.lower().endswith(".whl"):
        try:
            wheel_version = parse_wheel_filename(filename)[1]
        except InvalidWheelFilename as error:
            raise Rejected(quote(str(error))) from None
        return filename.split("-", 1)[0], f"=={wheel_version}"
    stem = filename
    for extension in _ARCHIVE_EXTENSIONS:
        if stem.lower().endswith(extension):
            stem = stem[: -len(extension)]
            break
    name, dash, version = stem.rpartition("-")
    if not dash or not _PROJECT_NAME().match(name):
        return "", ""
    try:
        Version(version)
    except InvalidVersion:
        return "", ""
    return name, ""


# Pure memos of packaging's (slow) parsers, kept as C-speed ``lru_cache``s rather than registered
# ``MemoryCache``s: a cold read of a lock file misses on every line, and the value depends on the text alone.
@functools.lru_cache(maxsize=4096)
def _requirement(text: str) -> ParsedRequirement:
    """A PEP 508 requirement (its marker already split off, as pip does), or ``Rejected`` with packaging's
    reason."""
    # packaging's requirement and marker parsers are imported on the first line the fast path cannot read
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0] if str(error) else "not a valid requirement"
        message = f"invalid requirement {_q(text)}: {quote(reason)}"
        if os.sep in text:
            message += " (it looks like a path, but there is no such file or folder)"
        elif "=" in text and not any(op in text for op in _OPERATORS):
            message += " (= is not a valid operator; did you mean == ?)"
        guessed = _NAME_AT_START().match(text)
        raise Rejected(message, canonicalize_name(guessed.group(1)) if guessed else None) from None
    kind: Kind = "registry"
    if requirement.url is not None:
        kind = "path" if requirement.url.lower().startswith("file:") else "url"
    return ParsedRequirement(requirement.name, str(requirement.specifier), tuple(sorted(requirement.extras)),
                             str(requirement.marker) if requirement.marker is not None else None, kind,
                             requirement.url)


def simple_requirement(text: str) -> ParsedRequirement | None:
    """The common ``name[extras]>=1.2,<2`` shape, as packaging reads it; ``None`` for anything else."""
    match = _SIMPLE.fullmatch(text)
    if match is None or (text[-1] in "plzr2a" and _is_archive(text)):
        return None
    name, extras, operator, version, more = match.groups()
    specifier = ""
    if operator:
        specifier = operator + version
        if more:
            clauses = {specifier} | {op + number for op, number in _SIMPLE_CLAUSE.findall(more)}
            specifier = ",".join(sorted(clauses))
    if extras:
        return ParsedRequirement(name, specifier, tuple(sorted({e.strip() for e in extras.split(",")})),
                                 None, "registry", None)
    return ParsedRequirement(name, specifier, (), None, "registry", None)


@functools.lru_cache(maxsize=1024)
def _marker(text: str) -> str:
    """A marker as packaging normalizes it, or ``Rejected`` with packaging's reason."""
    from packaging.markers import InvalidMarker, Marker

    try:
        return str(Marker(text))
    except InvalidMarker as error:
        raise Rejected(f"invalid marker {_q(text)}: {quote(str(error).splitlines()[0])}") from None


def _candidates(base: Path, written: str) -> list[Path]:
    """Where a local path may point: against the requirements file's folder, then the folders above it (a
    file in ``requirements/`` is usually installed from the project root)."""
    target = Path(written)
    if target.is_absolute():
        return [target]
    return [folder / target for folder in (base, *list(base.parents)[:3])]


def _local_folder(base: Path, written: str) -> bool | None:
    """``True`` for an installable project folder, ``False`` for a folder that is not one, ``None`` for no
    folder at all."""
    try:
        folders = [c for c in _candidates(base, written) if c.is_dir()]
        if not folders:
            return None
        return any((f / "pyproject.toml").is_file() or (f / "setup.py").is_file() for f in folders)
    except (OSError, ValueError):
        return None


def _local_file(base: Path, written: str) -> bool:
    try:
        return any(c.is_file() for c in _candidates(base, written))
    except (OSError, ValueError):
        return False


def parse_line_requirement(text: str, base: Path) -> ParsedRequirement:
    """pip's ``parse_req_from_line``: a requirement specifier, a URL, or a local folder or archive."""
    simple = simple_requirement(text)
    if simple is not None:
        return simple
    separator = "; " if _is_url(text) else ";"
    marker: str | None = None
    name = text
    if separator in text:
        name, marker_text = text.split(separator, 1)
        marker_text = marker_text.strip()
        marker = _marker(marker_text) if marker_text else None
    name = name.strip()
    if _is_url(name):
        filename = _url_filename(name)
        if filename.lower().endswith(".whl"):
            project, pin = _archive_name(filename)
        else:
            project, pin = _egg_name(name), ""
            if not project and _is_archive(filename):
                project = _archive_name(filename)[0]
        kind: Kind = "path" if name.lower().startswith("file:") else "url"
        return ParsedRequirement(project, pin, (), marker, kind, name)
    path_text, extras = _strip_extras(name)
    if _looks_like_path(name):
        folder = _local_folder(base, path_text)
        if folder is False:
            raise Rejected(f"Directory {_q(name)} is not installable. Neither 'setup.py' nor 'pyproject.toml' "
                            "found.")
        if folder:
            return ParsedRequirement("", "", extras, marker, "path", path_text)
    if _is_archive(path_text):
        before_at = name.split("@", 1)
        if len(before_at) < 2 or _looks_like_path(before_at[0]) or _local_file(base, path_text):
            project, pin = _archive_name(posixpath.basename(path_text.replace(os.sep, "/")))
            return ParsedRequirement(project, pin, extras, marker, "path", path_text)
    parsed = _requirement(name)
    if marker is not None:
        parsed = parsed._replace(marker=marker)
    return parsed


def parse_editable(text: str, base: Path) -> ParsedRequirement:
    """pip's ``parse_editable``: a local project folder, a VCS URL with ``#egg=``, or ``name @ url``."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        direct: Requirement | None = Requirement(text)
    except InvalidRequirement:
        direct = None
    if direct is not None and direct.url:
        marker = str(direct.marker) if direct.marker is not None else None
        return ParsedRequirement(direct.name, str(direct.specifier), tuple(sorted(direct.extras)), marker, "editable",
                       direct.url)
    path_text, extras = _strip_extras(text)
    if _local_folder(base, path_text) is not None:
        return ParsedRequirement("", "", extras, None, "editable", path_text)
    if path_text.lower().startswith("file:"):
        return ParsedRequirement(_egg_name(path_text), "", extras, None, "editable", path_text)
    url = text
    for vcs in _VCS_SCHEMES:
        if url.lower().startswith(f"{vcs}:"):
            url = f"{vcs}+{url}"
            break
    if _url_scheme(url) not in _VCS_URL_SCHEMES:
        if _looks_like_path(path_text):
            raise Rejected(f"-e {quote(text)}: there is no folder {_q(path_text)} to install in editable mode")
        raise Rejected(f"-e {quote(text)} is not a valid editable requirement: it should be a path to a local "
                        "project or a VCS URL (beginning with bzr+, git+, hg+ or svn+)")
    name = _egg_name(url)
    if not name:
        raise Rejected(f"Could not detect requirement name for {_q(text)}, please specify one with "
                        "your_package_name @ URL (or add #egg=name)")
    return ParsedRequirement(name, "", (), None, "editable", url)
