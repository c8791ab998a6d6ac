"""Reads pip requirements files (``requirements.txt`` and the files it includes) into declarations with the
exact range of each requirement, following pip's own parser line for line.

pip is the reference: ``pip/_internal/req/req_file.py`` (splitting, ``\\`` continuations, comments, ``${VAR}``
expansion, options parsed by optparse after ``shlex``) and ``req/constructors.py`` (what a requirement line
means: a name, a URL, a local folder or archive, an editable). Where this module and pip disagree on a real
file, this module is wrong. Deliberate differences: relative paths are resolved against the requirements
file's folder and the folders above it (pip uses the current directory, usually the project root), a file
included twice is read once, reading goes on after an error, and remote (``https:``) includes are not
fetched.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import posixpath
import re
import stat
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from venvsense.declarations import MAIN, Declaration, IndexOption, Kind, Manifest
from venvsense.findings import make
from venvsense.text import START, Position, Range, UnreadableFile, decode_text, read_text

__all__ = ["is_compiled", "is_requirements_file", "read_requirements"]

INVALID = "VS206"
UNRESOLVABLE = "VS207"
INDEX_OVERRIDE = "VS208"

# --- pip's line rules (req_file.py) ---------------------------------------------------------------------

_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's COMMENT_RE
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")  # pip's ENV_VAR_RE
_INCLUDE_URL = re.compile(r"^(http|https|file):", re.I)  # pip's SCHEME_RE: includes pip fetches as URLs
# str.splitlines (pip's split) also breaks at these; an editor (LSP) breaks only at \n, \r\n and \r
_EXOTIC_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_ALL_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_WIDE_BOMS = (  # pip's BOMS beyond UTF-8 (which decode_text drops); UTF-32 first: UTF-16-LE's BOM is a prefix
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
)
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")  # pip's PEP263_ENCODING_RE

# --- the options pip accepts in a requirements file (SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ) ----------

_VALUE_OPTIONS = frozenset({
    "--index-url", "--extra-index-url", "--constraint", "--requirement", "--editable", "--find-links",
    "--no-binary", "--only-binary", "--all-releases", "--only-final", "--trusted-host", "--use-feature",
    "--hash", "--config-settings",
})
_FLAG_OPTIONS = frozenset({"--no-index", "--prefer-binary", "--require-hashes", "--no-require-hashes", "--pre"})
_ALIASES = {"--pypi-url": "--index-url"}
_LONG_OPTIONS = tuple(sorted(_VALUE_OPTIONS | _FLAG_OPTIONS | _ALIASES.keys()))
_SHORT_OPTIONS = {"-i": "--index-url", "-c": "--constraint", "-r": "--requirement", "-e": "--editable",
                  "-f": "--find-links", "-C": "--config-settings"}
_REMOVED_OPTIONS = {"--global-option": "25.3", "--build-option": "25.3", "--install-option": "23.1"}
_STRONG_HASHES = ("sha256", "sha384", "sha512")
_INDEX_OPTIONS = frozenset({"--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--no-index"})

# --- what a requirement is (constructors.py) ------------------------------------------------------------

_VCS_SCHEMES = {
    "bzr": ("http", "https", "ssh", "sftp", "ftp", "lp", "file"),
    "git": ("http", "https", "ssh", "git", "file"),
    "hg": ("file", "http", "https", "ssh", "static-http"),
    "svn": ("ssh", "http", "https", "svn", "file"),
}
_VCS_URL_SCHEMES = frozenset(f"{vcs}+{scheme}" for vcs, schemes in _VCS_SCHEMES.items() for scheme in schemes)
_URL_SCHEMES = frozenset({"http", "https", "file", "ftp"}) | _VCS_URL_SCHEMES
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_ARCHIVE_EXTENSIONS = (".zip", ".whl", ".tar.bz2", ".tbz", ".tar.gz", ".tgz", ".tar", ".tar.xz", ".txz",
                       ".tlz", ".tar.lz", ".tar.lzma")
_EXTRAS_SUFFIX = re.compile(r"^(.+)(\[[^\]]+\])$")  # pip's strip_extras
_EGG = re.compile(r"[#&]egg=([^&]*)")
_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.I)
_NAME_AT_START = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">", "===")
# ``name[extras] op version, ...`` with plain release versions: read without packaging's (slower) parser, to
# the same result. Anything else (markers, URLs, pre-releases, wildcards, ~=) goes through packaging.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = r"(?:==|!=|<=|>=|<|>)[ \t]*[0-9]+(?:\.[0-9]+)*"
_SIMPLE = re.compile(
    rf"({_NAME})[ \t]*(?:\[[ \t]*({_NAME}(?:[ \t]*,[ \t]*{_NAME})*)?[ \t]*\][ \t]*)?"
    rf"(?:(==|!=|<=|>=|<|>)[ \t]*([0-9]+(?:\.[0-9]+)*)((?:[ \t]*,[ \t]*{_CLAUSE})*)[ \t]*)?"
)
_SIMPLE_CLAUSE = re.compile(r"(==|!=|<=|>=|<|>)[ \t]*([0-9.]+)")

# --- compiled lock files (pip-compile, uv pip compile) --------------------------------------------------

_COMPILED = re.compile(
    r"^#[ \t]*This file (?:is|was) autogenerated by (?:pip-compile|uv)|^[ \t]*#[ \t]*via(?:[ \t]|$)", re.M
)
_VIA = re.compile(r"^\s*#\s*via\b(.*)$")
_VIA_ITEM = re.compile(r"^\s*#\s{2,}(\S.*?)\s*$")
_VIA_PACKAGE = re.compile(rf"{_NAME}(?:\[[^\]]*\])?")


def is_requirements_file(path: Path, root: Path) -> bool:
    """A ``*.txt``/``*.in`` file whose name contains "requirements", or any such file in a ``requirements/``
    folder at any depth under ``root``."""
    if path.suffix.lower() not in (".txt", ".in"):
        return False
    if "requirements" in path.name.lower():
        return True
    try:
        folders = path.relative_to(root).parts[:-1]
    except ValueError:
        folders = path.parts[:-1]
    return any(folder.lower() == "requirements" for folder in folders)


def is_compiled(text: str) -> bool:
    """Whether ``text`` is the output of ``pip-compile`` or ``uv pip compile`` (its header, or ``# via``
    annotations)."""
    return _COMPILED.search(text) is not None


def read_requirements(
    path: Path, *, primary: bool, declared_in: str | None = None,
    overrides: Mapping[Path, str] | None = None, environ: Mapping[str, str] | None = None,
) -> Manifest:
    """Read one requirements file and, recursively, the ``-r``/``-c`` files it includes.

    ``overrides`` holds the text of unsaved editor buffers by absolute path (used instead of the disk for the
    file and its includes); ``environ`` is what ``${VAR}`` expands from (default ``os.environ``). Entries of
    included files are declared in the included file's name and share ``primary``. Never raises: a line pip
    would reject is a VS206 finding, an include that cannot be read a VS207 one, each index option a VS208.
    """
    path = Path(os.path.abspath(path))
    reader = _Reader(primary, overrides or {}, os.environ if environ is None else environ, path)
    try:
        text = reader.load(path)
    except UnreadableFile as error:
        reader.manifest.files.append(path)
        reader.manifest.findings.append(make(INVALID, f"{path.name} {error.reason}", path, START,
                                             secondary=not primary, declared_in=declared_in or path.name))
        return reader.manifest
    with _gc_paused(len(text) > _LARGE):
        reader.read(path, text, constraint=False, declared_in=declared_in or path.name, chain=(path,))
    return reader.manifest


_LARGE = 1 << 20


@contextlib.contextmanager
def _gc_paused(pause: bool) -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file is read: the reader makes hundreds of thousands
    of small objects and no cycles, and the collector's passes over them would double the reading time."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# ---------------------------------------------------------------------------------------------------------
# Logical lines: pip's preprocess(), keeping the source position of every character


@dataclass(frozen=True, slots=True)
class _Piece:
    """A run of a logical line: offsets ``start``..``end`` come from ``line``:``column`` in the file,
    ``width`` characters there. A piece that is not ``verbatim`` (the value of an expanded ``${VAR}``, the
    blank pip puts before a comment) maps as a whole onto its source text."""

    start: int
    end: int
    line: int
    column: int
    width: int
    verbatim: bool = True


@dataclass(slots=True)
class _Line:
    """One logical line: ``text`` after joining, comment removal, strip and ``${VAR}`` expansion.

    ``text[i]`` comes from ``row``:``column + shift + i`` when ``pieces`` is ``None`` (one physical line,
    nothing expanded: the common case), else from the piece holding logical offset ``i + shift``.
    """

    text: str
    row: int
    column: int
    shift: int
    pieces: list[_Piece] | None
    last: int  # the last physical line (str.splitlines numbering) the logical line spans
    comment: str  # the comment pip removed, "" when none

    def position(self, offset: int, *, end: bool = False) -> Position:
        if self.pieces is None:
            return Position(self.row, self.column + self.shift + offset)
        offset += self.shift
        probe = offset - 1 if end and offset > 0 else offset
        piece = self.pieces[-1]
        for candidate in self.pieces:
            if candidate.start <= probe < candidate.end:
                piece = candidate
                break
        if not piece.verbatim:
            return Position(piece.line, piece.column + (piece.width if end else 0))
        return Position(piece.line, piece.column + min(max(offset - piece.start, 0), piece.width))

    def range(self, start: int, end: int) -> Range:
        if self.pieces is None:
            column = self.column + self.shift
            return Range(Position(self.row, column + start), Position(self.row, column + max(end, start)))
        first = self.position(start)
        return Range(first, self.position(end, end=True) if end > start else first)


def _decode(path: Path, data: bytes) -> str:
    """A requirements file's text as pip decodes it: a BOM, a PEP 263 ``coding:`` comment, else UTF-8."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise UnreadableFile(path, f"is not valid {encoding.upper()}") from None
    for head in data.split(b"\n", 2)[:2]:
        coding = _CODING.search(head) if head[:1] == b"#" else None
        if coding is not None:
            try:
                return data.decode(coding.group(1).decode("ascii")).removeprefix("\ufeff")
            except (LookupError, UnicodeDecodeError):
                break
    return decode_text(path, data)


def _editor_starts(text: str, count: int) -> list[tuple[int, int]] | None:
    """Where each ``str.splitlines`` line starts in editor terms, or ``None`` when those are the same lines."""
    if _EXOTIC_BREAKS.search(text) is None:
        return None
    out: list[tuple[int, int]] = []
    line = column = position = 0
    for match in _ALL_BREAKS.finditer(text):
        out.append((line, column))
        if match.group() in ("\r\n", "\n", "\r"):
            line, column = line + 1, 0
        else:
            column += match.end() - position
        position = match.end()
    out.append((line, column))
    return out[:count]


def _comment_start(text: str) -> int:
    """Where pip's COMMENT_RE cuts ``text``: the first ``#`` at the start or after whitespace, or -1."""
    index = text.find("#")
    while index > 0 and not text[index - 1].isspace():
        index = text.find("#", index + 1)
    return index


def _next_line(lines: list[str], index: int, starts: list[tuple[int, int]] | None,
               environ: Mapping[str, str]) -> tuple[_Line | None, int]:
    """The logical line starting at physical line ``index`` (``None`` for a blank or comment line) and the
    index after it: pip's join_lines, ignore_comments and expand_env_variables, in that order."""
    line = lines[index]
    if line.endswith("\\") and not _COMMENT.match(line):
        joined, pieces, after = _join(lines, index, starts)
        row = column = 0
    else:
        after = index + 1
        if "#" in line and _COMMENT.match(line):
            return None, after  # a comment line on its own
        joined, pieces = line, None
        row, column = starts[index] if starts is not None else (index, 0)
    comment = ""
    if "#" in joined:
        cut = _comment_start(joined)
        if cut >= 0:
            comment = joined[cut:].strip()
            joined = joined[:cut]
    text = joined.strip()
    if not text:
        return None, after
    logical = _Line(text, row, column, len(joined) - len(joined.lstrip()), pieces, after - 1, comment)
    if "${" in text:
        _expand(logical, environ)
    return logical, after


def _join(lines: list[str], index: int, starts: list[tuple[int, int]] | None) -> tuple[str, list[_Piece], int]:
    """Join the continuation lines from ``index`` on, as pip's join_lines does (``strip("\\")`` included)."""
    parts: list[str] = []
    pieces: list[_Piece] = []
    offset = 0
    while index < len(lines):
        line = lines[index]
        row, column = starts[index] if starts is not None else (index, 0)
        index += 1
        if line.endswith("\\") and not _COMMENT.match(line):
            part = line.strip("\\")
            lead = len(line) - len(line.lstrip("\\"))
            pieces.append(_Piece(offset, offset + len(part), row, column + lead, len(part)))
            parts.append(part)
            offset += len(part)
            continue
        if _COMMENT.match(line):
            pieces.append(_Piece(offset, offset + 1, row, column, 0, verbatim=False))
            parts.append(" ")  # pip's way of making sure the comment is removed
            offset += 1
        pieces.append(_Piece(offset, offset + len(line), row, column, len(line)))
        parts.append(line)
        break
    return "".join(parts), pieces, index


def _expand(line: _Line, environ: Mapping[str, str]) -> None:
    """Replace ``${NAME}`` by its value where the variable is set and not empty, as pip does; each value maps
    onto the ``${NAME}`` it replaced."""
    text = line.text
    parts: list[str] = []
    pieces: list[_Piece] = []
    length = 0

    def add(part: str, at: Position, width: int, verbatim: bool) -> None:
        nonlocal length
        pieces.append(_Piece(length, length + len(part), at.line, at.column, width, verbatim))
        parts.append(part)
        length += len(part)

    def keep(start: int, end: int) -> None:
        if end <= start:
            return
        begin, stop = line.position(start), line.position(end, end=True)
        if begin.line == stop.line and stop.column - begin.column == end - start:
            add(text[start:end], begin, end - start, True)
        else:  # the run crosses a continuation: a piece per character keeps every position exact
            for i in range(start, end):
                add(text[i], line.position(i), 1, True)

    cursor = 0
    for match in _ENV_VAR.finditer(text):
        value = environ.get(match.group(1))
        if not value:
            continue
        keep(cursor, match.start())
        begin, stop = line.position(match.start()), line.position(match.end(), end=True)
        add(value, begin, stop.column - begin.column if stop.line == begin.line else 0, False)
        cursor = match.end()
    if not parts:
        return
    keep(cursor, len(text))
    line.text = "".join(parts)
    line.pieces = pieces
    line.shift = 0


# ---------------------------------------------------------------------------------------------------------
# Options: shlex.split and optparse as pip sets them up, with positions


_WORD = re.compile(r"[^ \t\r\n]+")  # a token of shlex.split when there are no quotes or escapes


class _SplitError(ValueError):
    pass


def _split(text: str) -> list[tuple[str, int, int]]:
    """``shlex.split(text)`` (POSIX mode, no comments), each token with the span of text it came from."""
    if "'" not in text and '"' not in text and "\\" not in text:
        return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    tokens: list[tuple[str, int, int]] = []
    i, n = 0, len(text)
    whitespace = " \t\r\n"
    while True:
        while i < n and text[i] in whitespace:
            i += 1
        if i >= n:
            return tokens
        start = i
        value: list[str] = []
        while i < n and text[i] not in whitespace:
            char = text[i]
            if char == "\\":
                if i + 1 >= n:
                    raise _SplitError("No escaped character")
                value.append(text[i + 1])
                i += 2
            elif char in "'\"":
                i += 1
                while True:
                    if i >= n:
                        raise _SplitError("No closing quotation")
                    inner = text[i]
                    if inner == char:
                        i += 1
                        break
                    if char == '"' and inner == "\\":
                        if i + 1 >= n:
                            raise _SplitError("No escaped character")
                        if text[i + 1] not in '"\\':
                            value.append("\\")
                        value.append(text[i + 1])
                        i += 2
                        continue
                    value.append(inner)
                    i += 1
            else:
                value.append(char)
                i += 1
        tokens.append(("".join(value), start, i))


@dataclass(frozen=True, slots=True)
class _Option:
    """One option given on a line: its long name, its value, the span of the whole and of the value."""

    name: str
    value: str
    start: int
    end: int
    value_start: int
    value_end: int


class _OptionError(ValueError):
    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


def _long_option(written: str, start: int, end: int) -> str:
    """optparse's ``_match_abbrev``: an exact name, or an unambiguous prefix of one."""
    if written in _LONG_OPTIONS:
        return _ALIASES.get(written, written)
    if written in _REMOVED_OPTIONS:
        raise _OptionError(f"unknown option {written}: pip {_REMOVED_OPTIONS[written]} removed it "
                           "(--config-settings replaces it)", start, end)
    matches = [name for name in _LONG_OPTIONS if name.startswith(written)]
    if len(matches) == 1:
        return _ALIASES.get(matches[0], matches[0])
    if not matches:
        raise _OptionError(f"unknown option {written}", start, end)
    raise _OptionError(f"ambiguous option {written} ({', '.join(matches)}?)", start, end)


def _parse_options(text: str, base: int) -> list[_Option]:
    """The options in ``text`` (spans shifted by ``base``); raises ``_OptionError`` where pip's parser fails.

    Plain words among options are skipped: optparse sets them aside and pip never looks at them.
    """
    try:
        tokens = _split(text)
    except _SplitError as error:
        raise _OptionError(f"could not split options: {error}", base, base + len(text)) from None
    options: list[_Option] = []
    i = 0
    while i < len(tokens):
        token, start, end = tokens[i]
        start, end = start + base, end + base
        i += 1
        if token == "--":
            break
        if token.startswith("--"):
            written, equals, attached = token.partition("=")
            name = _long_option(written, start, end)
            shown = name
            if name in _FLAG_OPTIONS:
                if equals:
                    raise _OptionError(f"{name} option does not take a value", start, end)
                options.append(_Option(name, "", start, end, end, end))
                continue
            if equals:
                value, value_start, value_end = attached, end - len(attached), end
            elif i < len(tokens):
                value, value_start, value_end = tokens[i][0], tokens[i][1] + base, tokens[i][2] + base
                i += 1
            else:
                raise _OptionError(f"{name} option requires 1 argument", start, end)
        elif token.startswith("-") and len(token) > 1:
            shown = token[:2]
            if shown not in _SHORT_OPTIONS:
                raise _OptionError(f"unknown option {shown}", start, end)
            name = _SHORT_OPTIONS[shown]
            if len(token) > 2:
                value, value_start, value_end = token[2:], end - (len(token) - 2), end
            elif i < len(tokens):
                value, value_start, value_end = tokens[i][0], tokens[i][1] + base, tokens[i][2] + base
                i += 1
            else:
                raise _OptionError(f"{shown} option requires 1 argument", start, end)
        else:
            continue
        _check_value(name, shown, value, start, value_end)
        options.append(_Option(name, value, start, value_end, value_start, value_end))
    return options


def _check_value(name: str, shown: str, value: str, start: int, end: int) -> None:
    """The checks pip's option callbacks make of a value."""
    if name == "--hash":
        algorithm, colon, _ = value.partition(":")
        if not colon:
            raise _OptionError(f"Arguments to {shown} must be a hash name followed by a value, "
                               "like --hash=sha256:abcde...", start, end)
        if algorithm not in _STRONG_HASHES:
            raise _OptionError(f"Allowed hash algorithms for {shown} are {', '.join(_STRONG_HASHES)}.", start, end)
    elif name == "--config-settings" and "=" not in value:
        raise _OptionError(f"Arguments to {shown} must be of the form KEY=VAL", start, end)
    elif name in ("--no-binary", "--only-binary") and value.startswith("-"):
        raise _OptionError("--no-binary / --only-binary option requires 1 argument.", start, end)
    elif name in ("--all-releases", "--only-final") and value.startswith("-"):
        raise _OptionError("--all-releases / --only-final option requires 1 argument.", start, end)


# ---------------------------------------------------------------------------------------------------------
# Requirements: what install_req_from_line and install_req_from_editable make of one


class _Parsed(NamedTuple):
    """What a requirement means, wherever it is written."""

    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    kind: Kind
    url: str | None


class _Rejected(ValueError):
    def __init__(self, message: str, package: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.package = package


def _url_scheme(text: str) -> str | None:
    match = _URL_SCHEME.match(text)
    return match.group(1).lower() if match else None


def _is_url(text: str) -> bool:
    """pip's ``is_url``: a scheme pip fetches from (http, https, file, ftp or a VCS scheme)."""
    return _url_scheme(text) in _URL_SCHEMES


def _is_archive(name: str) -> bool:
    return name.lower().endswith(_ARCHIVE_EXTENSIONS)


def _looks_like_path(name: str) -> bool:
    return os.sep in name or (os.altsep is not None and os.altsep in name) or name.startswith(".")


def _strip_extras(text: str) -> tuple[str, tuple[str, ...]]:
    match = _EXTRAS_SUFFIX.match(text)
    if not match:
        return text, ()
    try:
        extras = Requirement("placeholder" + match.group(2)).extras
    except InvalidRequirement:
        raise _Rejected(f"invalid extras {match.group(2)!r} in {text!r}") from None
    return match.group(1).rstrip(), tuple(sorted(extras))


def _egg_name(url: str) -> str:
    match = _EGG.search(url)
    if not match:
        return ""
    if not _PROJECT_NAME.match(match.group(1)):
        raise _Rejected(f"invalid #egg= fragment {match.group(1)!r} in {url!r}: it must be a project name, "
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
            raise _Rejected(str(error)) from None
        return filename.split("-", 1)[0], f"=={wheel_version}"
    stem = filename
    for extension in _ARCHIVE_EXTENSIONS:
        if stem.lower().endswith(extension):
            stem = stem[: -len(extension)]
            break
    name, dash, version = stem.rpartition("-")
    if not dash or not _PROJECT_NAME.match(name):
        return "", ""
    try:
        Version(version)
    except InvalidVersion:
        return "", ""
    return name, ""


@functools.lru_cache(maxsize=4096)
def _requirement(text: str) -> _Parsed:
    """A PEP 508 requirement (its marker already split off, as pip does), or ``_Rejected`` with packaging's
    reason."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0] if str(error) else "not a valid requirement"
        message = f"invalid requirement {text!r}: {reason}"
        if os.sep in text:
            message += " (it looks like a path, but there is no such file or folder)"
        elif "=" in text and not any(op in text for op in _OPERATORS):
            message += " (= is not a valid operator; did you mean == ?)"
        guessed = _NAME_AT_START.match(text)
        raise _Rejected(message, canonicalize_name(guessed.group(1)) if guessed else None) from None
    kind: Kind = "registry"
    if requirement.url is not None:
        kind = "path" if requirement.url.lower().startswith("file:") else "url"
    return _Parsed(requirement.name, str(requirement.specifier), tuple(sorted(requirement.extras)),
                   str(requirement.marker) if requirement.marker is not None else None, kind, requirement.url)


def _simple(text: str) -> _Parsed | None:
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
        return _Parsed(name, specifier, tuple(sorted({e.strip() for e in extras.split(",")})), None,
                       "registry", None)
    return _Parsed(name, specifier, (), None, "registry", None)


@functools.lru_cache(maxsize=1024)
def _marker(text: str) -> str:
    try:
        return str(Marker(text))
    except InvalidMarker as error:
        raise _Rejected(f"invalid marker {text!r}: {str(error).splitlines()[0]}") from None


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


def _parse_line_requirement(text: str, base: Path) -> _Parsed:
    """pip's ``parse_req_from_line``: a requirement specifier, a URL, or a local folder or archive."""
    simple = _simple(text)
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
        return _Parsed(project, pin, (), marker, kind, name)
    path_text, extras = _strip_extras(name)
    if _looks_like_path(name):
        folder = _local_folder(base, path_text)
        if folder is False:
            raise _Rejected(f"Directory {name!r} is not installable. Neither 'setup.py' nor 'pyproject.toml' "
                            "found.")
        if folder:
            return _Parsed("", "", extras, marker, "path", path_text)
    if _is_archive(path_text):
        before_at = name.split("@", 1)
        if len(before_at) < 2 or _looks_like_path(before_at[0]) or _local_file(base, path_text):
            project, pin = _archive_name(posixpath.basename(path_text.replace(os.sep, "/")))
            return _Parsed(project, pin, extras, marker, "path", path_text)
    parsed = _requirement(name)
    if marker is not None:
        parsed = parsed._replace(marker=marker)
    return parsed


def _parse_editable(text: str, base: Path) -> _Parsed:
    """pip's ``parse_editable``: a local project folder, a VCS URL with ``#egg=``, or ``name @ url``."""
    try:
        direct: Requirement | None = Requirement(text)
    except InvalidRequirement:
        direct = None
    if direct is not None and direct.url:
        marker = str(direct.marker) if direct.marker is not None else None
        return _Parsed(direct.name, str(direct.specifier), tuple(sorted(direct.extras)), marker, "editable",
                       direct.url)
    path_text, extras = _strip_extras(text)
    if _local_folder(base, path_text) is not None:
        return _Parsed("", "", extras, None, "editable", path_text)
    if path_text.lower().startswith("file:"):
        return _Parsed(_egg_name(path_text), "", extras, None, "editable", path_text)
    url = text
    for vcs in _VCS_SCHEMES:
        if url.lower().startswith(f"{vcs}:"):
            url = f"{vcs}+{url}"
            break
    if _url_scheme(url) not in _VCS_URL_SCHEMES:
        if _looks_like_path(path_text):
            raise _Rejected(f"-e {text}: there is no folder {path_text!r} to install in editable mode")
        raise _Rejected(f"-e {text} is not a valid editable requirement: it should be a path to a local project "
                        "or a VCS URL (beginning with bzr+, git+, hg+ or svn+)")
    name = _egg_name(url)
    if not name:
        raise _Rejected(f"Could not detect requirement name for {text!r}, please specify one with "
                        "your_package_name @ URL (or add #egg=name)")
    return _Parsed(name, "", (), None, "editable", url)


def _only_via_packages(comment: str, last: int, lines: list[str]) -> bool:
    """Whether a compiled file's ``# via`` annotation names only other packages (no ``-r``/``-c`` file, no
    ``project (pyproject.toml)``): then the pin is there only because something else needs it."""
    items: list[str] | None = None
    inline = _VIA.match(comment) if comment else None
    if inline is not None:
        items = [item.strip() for item in inline.group(1).split(",") if item.strip()]
    else:
        index = last if _COMMENT.match(lines[last]) else last + 1
        match = _VIA.match(lines[index]) if index < len(lines) else None
        if match is not None:
            rest = match.group(1).strip()
            items = [rest] if rest else []
            index += 1
            while index < len(lines):
                item = _VIA_ITEM.match(lines[index])
                if item is None:
                    break
                items.append(item.group(1))
                index += 1
    return bool(items) and all(_VIA_PACKAGE.fullmatch(item) for item in items or ())


# ---------------------------------------------------------------------------------------------------------
# Reading files


# (file, primary, declared in, constraint) → (line number, line text) → the declaration read from it, for the
# plain one-line requirements of the last read of the most recently read files (``Declaration`` is frozen, so
# sharing one between reads is safe); replaced whole on every read, so it never holds lines that are gone
_LineKey = tuple[Path, bool, str, bool]
_line_cache: dict[_LineKey, dict[tuple[int, str], Declaration]] = {}
_LINE_CACHE_FILES = 32
_LINE_CACHE_LINES = 20_000  # a bigger file (a lock file) is not worth keeping: it is rarely edited by hand


_line_cache_lock = threading.Lock()


def _remember(key: _LineKey, lines: dict[tuple[int, str], Declaration]) -> None:
    with _line_cache_lock:
        _line_cache.pop(key, None)
        if not lines or len(lines) > _LINE_CACHE_LINES:
            return
        _line_cache[key] = lines
        while len(_line_cache) > _LINE_CACHE_FILES:
            del _line_cache[next(iter(_line_cache))]


@dataclass
class _Reader:
    """The state of one ``read_requirements`` call: what has been read, and the manifest being filled."""

    primary: bool
    overrides: Mapping[Path, str]
    environ: Mapping[str, str]
    path: Path
    manifest: Manifest = field(init=False)
    done: set[tuple[Path, bool]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.manifest = Manifest(path=self.path)

    def load(self, path: Path) -> str:
        override = self.overrides.get(path)
        if override is not None:
            return override.removeprefix("\ufeff")
        try:
            mode = path.stat().st_mode
            if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):  # a device or a pipe could block forever
                raise UnreadableFile(path, "is not a regular file")
            data = path.read_bytes()
        except ValueError:  # a NUL in the name
            raise UnreadableFile(path, "is not a valid file name") from None
        except OSError:
            return read_text(path)  # raises UnreadableFile, with the reason in words
        return _decode(path, data)

    def read(self, path: Path, text: str, *, constraint: bool, declared_in: str, chain: tuple[Path, ...]) -> None:
        self.done.add((path, constraint))
        self.manifest.files.append(path)
        lines = text.splitlines()
        compiled = lines if not constraint and is_compiled(text) else None
        base = path.parent
        out = self.manifest.constraints if constraint else self.manifest.declarations
        starts = _editor_starts(text, len(lines))
        count = len(lines)
        index = 0
        # the declarations of plain lines from the last read of this file: after a one-character edit in an
        # editor, every other line is found here (same text, same line number) and not parsed again
        key = (path, self.primary, declared_in, constraint)
        previous = _line_cache.get(key, {}) if compiled is None and starts is None else {}
        remembered: dict[tuple[int, str], Declaration] = {}
        while index < count:
            raw = lines[index]
            known = previous.get((index, raw))
            if known is not None:
                out.append(known)
                remembered[(index, raw)] = known
                index += 1
                continue
            try:
                if starts is None and "${" not in raw and not raw.endswith("\\"):
                    # the common case, a requirement alone on its line, without building a logical line
                    line_text = raw
                    comment, cut = "", _comment_start(raw) if "#" in raw else -1
                    if cut >= 0:
                        raw, comment = raw[:cut], raw[cut:].strip()
                    content = raw.strip()
                    if not content:
                        index += 1
                        continue
                    simple = None if content[0] == "-" or " -" in content else _simple(content)
                    if simple is not None:
                        column = len(raw) - len(raw.lstrip())
                        range_ = Range(Position(index, column), Position(index, column + len(content)))
                        transitive = compiled is not None and _only_via_packages(comment, index, compiled)
                        made = self.declaration(simple, path, range_, content, declared_in, transitive)
                        out.append(made)
                        if compiled is None and starts is None:
                            remembered[(index, line_text)] = made
                        index += 1
                        continue
                line, index = _next_line(lines, index, starts, self.environ)
            except Exception:  # a reader never raises
                line, index = None, index + 1
            if line is None:
                continue
            try:
                self.read_line(path, base, line, compiled, constraint=constraint, declared_in=declared_in,
                               chain=chain)
            except Exception as error:  # a reader never raises: say what went wrong instead
                self.invalid(path, line.range(0, len(line.text)), declared_in,
                             f"venvsense could not read this line ({type(error).__name__}: {error})")
        if compiled is None:
            _remember(key, remembered)

    def declaration(self, parsed: _Parsed, path: Path, range_: Range, written: str, declared_in: str,
                    transitive: bool) -> Declaration:
        return Declaration(
            name=parsed.name, specifier=parsed.specifier, extras=parsed.extras, marker=parsed.marker,
            kind=parsed.kind, url=parsed.url, file=path, range=range_, group=MAIN, primary=self.primary,
            declared_in=declared_in, requirement=written, transitive=transitive,
        )

    def invalid(self, path: Path, range_: Range, declared_in: str, message: str,
                package: str | None = None) -> None:
        self.manifest.findings.append(make(INVALID, message, path, range_, package=package,
                                           secondary=not self.primary, declared_in=declared_in))

    def read_line(self, path: Path, base: Path, line: _Line, compiled: list[str] | None, *, constraint: bool,
                  declared_in: str, chain: tuple[Path, ...]) -> None:
        text = line.text
        # break_args_options: the requirement is every " "-separated token before the first one starting "-"
        if text[0] == "-":
            args, options_at = "", 0
        else:
            split = text.find(" -")
            args, options_at = (text, len(text)) if split < 0 else (text[:split], split + 1)
        options: list[_Option] = []
        if options_at < len(text):
            try:
                options = _parse_options(text[options_at:], options_at)
            except _OptionError as error:
                self.invalid(path, line.range(error.start, error.end), declared_in, error.message)
        editables = [o for o in options if o.name == "--editable"]
        if args:
            written = args.rstrip()
            self.requirement(path, base, line, written, 0, len(written), editable=bool(editables),
                             constraint=constraint, declared_in=declared_in, compiled=compiled)
        elif editables:
            first = editables[0]
            self.requirement(path, base, line, first.value, first.value_start, first.value_end, editable=True,
                             constraint=constraint, declared_in=declared_in, compiled=None)
        elif any(o.name in ("--requirement", "--constraint") for o in options):
            includes = [o for o in options if o.name == "--requirement"]
            self.include(path, line, (includes or [o for o in options if o.name == "--constraint"])[0],
                         chain=chain)
        else:
            self.index_options(path, line, options, declared_in)

    def requirement(self, path: Path, base: Path, line: _Line, written: str, start: int, end: int, *,
                    editable: bool, constraint: bool, declared_in: str, compiled: list[str] | None) -> None:
        range_ = line.range(start, end)
        if editable and constraint:
            self.invalid(path, range_, declared_in, f"-e {written}: editable requirements are not allowed as "
                                                    "constraints")
            return
        try:
            parsed = _parse_editable(written, base) if editable else _parse_line_requirement(written, base)
        except _Rejected as error:
            self.invalid(path, range_, declared_in, error.message, error.package)
            return
        transitive = compiled is not None and _only_via_packages(line.comment, line.last, compiled)
        declaration = self.declaration(parsed, path, range_, written, declared_in, transitive)
        (self.manifest.constraints if constraint else self.manifest.declarations).append(declaration)

    def include(self, path: Path, line: _Line, option: _Option, *, chain: tuple[Path, ...]) -> None:
        # pip: -r in a constraints file includes requirements, -c in a requirements file constraints
        constraint = option.name == "--constraint"
        flag = "-c" if constraint else "-r"
        target = option.value
        range_ = line.range(option.value_start, option.value_end)
        if _INCLUDE_URL.match(target):
            if not target.lower().startswith("file:"):
                return  # a remote file: pip downloads it, a static reader cannot follow it
            from urllib.request import url2pathname  # not at start-up: it pulls in http.client and email

            location = url2pathname(urllib.parse.urlsplit(target).path)
            included = Path(os.path.abspath(location))
        else:
            included = Path(os.path.normpath(os.path.join(path.parent, target)))
        if included in chain:
            cycle = " → ".join(p.name for p in (*chain[chain.index(included):], included))
            self.manifest.findings.append(make(
                UNRESOLVABLE, f"{flag} {target}: the includes form a cycle ({cycle}); pip refuses the file",
                path, range_, secondary=not self.primary, declared_in=path.name))
            return
        if (included, constraint) in self.done:
            return  # pip would read it again; its entries are here already
        try:
            text = self.load(included)
        except UnreadableFile as error:
            self.manifest.findings.append(make(
                UNRESOLVABLE, f"{flag} {target}: {included.name} {error.reason}", path, range_,
                secondary=not self.primary, declared_in=path.name))
            return
        self.read(included, text, constraint=constraint, declared_in=included.name, chain=(*chain, included))

    def index_options(self, path: Path, line: _Line, options: list[_Option], declared_in: str) -> None:
        # what pip's handle_option_line uses: the last --index-url, the first --find-links, all the others
        index_urls = [o for o in options if o.name == "--index-url"]
        find_links = [o for o in options if o.name == "--find-links"]
        for option in options:
            if option.name not in _INDEX_OPTIONS or (option.name == "--index-url" and option is not index_urls[-1]) \
                    or (option.name == "--find-links" and option is not find_links[0]):
                continue
            range_ = line.range(option.start, option.end)
            self.manifest.index_options.append(IndexOption(option.name, option.value, path, range_))
            what = f"{option.name} {option.value}" if option.value else option.name
            self.manifest.findings.append(make(
                INDEX_OVERRIDE, f"{what} changes where packages come from", path, range_,
                secondary=not self.primary, declared_in=declared_in))
