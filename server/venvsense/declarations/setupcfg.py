"""Reads ``setup.cfg``: ``[options] install_requires`` and ``python_requires``, ``[options.extras_require]``,
each requirement with the exact range of its text, following how setuptools reads the file.

setuptools parses the file with ``configparser`` (``#`` and ``;`` start comment lines, indented lines continue
a value) and then splits a value into requirements one per line, or, for a one-line value, at ``;``.
``configparser`` keeps no positions, so this module reads the lines itself, with the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from venvsense.declarations import MAIN, Manifest, manifest_text
from venvsense.declarations.pyproject import pep508_declaration
from venvsense.declarations.requirements import read_requirements
from venvsense.findings import Finding, make
from venvsense.text import Position, Range

__all__ = ["read_setup_cfg"]

INVALID = "VS206"
_LINES = re.compile(r"\r\n|\r|\n")
_SECTION = re.compile(r"\[(?P<name>.+)\]")  # configparser's SECTCRE, matched on the stripped line
_OPTION = re.compile(r"(?P<key>.*?)\s*[=:]\s*(?P<value>.*)$")  # configparser's OPTCRE


@dataclass
class _Option:
    """One option's value as lines of (text, line number, column where the text starts)."""

    key: str
    line: int
    parts: list[tuple[str, int, int]] = field(default_factory=list)


def read_setup_cfg(path: Path, text: str | None = None) -> Manifest:
    """Read the declarations of one ``setup.cfg`` (``text``: an unsaved editor buffer of it).

    A requirement's range is its text on its line, without surrounding blanks. ``file:`` values (requirements
    kept in another file) are read as requirements files. Never raises: what cannot be understood is a VS206 finding.
    """
    path = path.absolute()
    manifest, text = manifest_text(path, text)
    if text is None:
        return manifest
    sections = _read_ini(path, text, manifest.findings)

    options = sections.get("options", {})
    install_requires = options.get("install_requires") or options.get("install-requires")
    if install_requires is not None:
        _read_requirements(path, install_requires, manifest, group=MAIN, primary=True, declaration_set=path.name)
    python_requires = options.get("python_requires") or options.get("python-requires")
    if python_requires is not None:
        _read_python_requires(path, python_requires, manifest)
    for extra, option in sections.get("options.extras_require", {}).items():
        _read_requirements(path, option, manifest, group=extra, primary=False, declaration_set=f"extra '{extra}'")
    return manifest


def _read_ini(path: Path, text: str, findings: list[Finding]) -> dict[str, dict[str, _Option]]:
    """Sections → options, as ``configparser.RawConfigParser`` with setuptools' settings reads them."""
    sections: dict[str, dict[str, _Option]] = {}
    current: dict[str, _Option] | None = None
    section_name = ""
    option: _Option | None = None
    indent = 0
    for number, line in enumerate(_LINES.split(text)):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue  # blank lines and comment lines do not end a multi-line value
        line_indent = len(line) - len(line.lstrip())
        if option is not None and line_indent > indent:
            option.parts.append((stripped, number, line_indent))
            continue
        indent = line_indent
        option = None
        section = _SECTION.match(stripped)
        if section:
            section_name = section.group("name")
            current = sections.setdefault(section_name, {})
            continue
        match = _OPTION.match(stripped)
        if current is None or match is None or not match.group("key"):
            what = "comes before the first [section] header" if current is None else (
                "is neither a [section] header nor a 'key = value' option")
            message = f"{path.name}: this line {what}, so setuptools cannot read the file"
            findings.append(make(INVALID, message, path, Range.line_of(line, number)))
            continue
        key = match.group("key").rstrip()
        if key in current:
            findings.append(make(INVALID, f"{path.name}: option '{key}' is set twice in [{section_name}]; "
                                          "setuptools refuses the file", path, Range.line_of(line, number)))
            continue  # keep the first; its lines are what the first value showed
        option = _Option(key, number)
        current[key] = option
        value = match.group("value")
        if value:
            option.parts.append((value, number, line_indent + match.start("value")))
    return sections


def _read_requirements(path: Path, option: _Option, manifest: Manifest, *, group: str, primary: bool,
                       declaration_set: str) -> None:
    chunks: list[tuple[str, int, int]] = []
    if len(option.parts) == 1:
        # setuptools splits a one-line value at ";" (so a marker there breaks the requirement, as it does
        # for setuptools)
        text, line, column = option.parts[0]
        offset = 0
        for piece in text.split(";"):
            if piece.strip():
                start = offset + len(piece) - len(piece.lstrip())
                chunks.append((piece.strip(), line, column + start))
            offset += len(piece) + 1
    else:
        chunks = option.parts
    if chunks and chunks[0][0].startswith("file:"):
        names = " ".join(text for text, _, _ in option.parts)[len("file:"):]
        _read_files(path, [n.strip() for n in names.split(",") if n.strip()], manifest, group=group, primary=primary,
                    declaration_set=declaration_set)
        return
    for text, line, column in chunks:
        if text.startswith("#"):
            continue
        range_ = Range.of(line, column, column + len(text))
        result = pep508_declaration(text, path, range_, group=group, primary=primary, declaration_set=declaration_set)
        if isinstance(result, Finding):
            manifest.findings.append(result)
        else:
            manifest.declarations.append(result)


def _read_files(path: Path, names: list[str], manifest: Manifest, *, group: str, primary: bool,
                declaration_set: str) -> None:
    """``install_requires = file: requirements.txt`` (setuptools 62.6+): each file read as a requirements file,
    its entries in this option's set."""
    for name in names:
        read = read_requirements(path.parent / name, primary=primary)
        manifest.files += [f for f in read.files if f not in manifest.files]
        manifest.findings += read.findings
        manifest.constraints += read.constraints
        manifest.declarations += read.declarations if group == MAIN else [
            replace(d, group=group, primary=primary, declaration_set=declaration_set) for d in read.declarations]


def _read_python_requires(path: Path, option: _Option, manifest: Manifest) -> None:
    if not option.parts:
        return
    value = " ".join(text for text, _, _ in option.parts)
    (_, first_line, first_column), (last_text, last_line, last_column) = option.parts[0], option.parts[-1]
    range_ = Range(Position(first_line, first_column), Position(last_line, last_column + len(last_text)))
    try:
        SpecifierSet(value)
    except InvalidSpecifier as error:
        manifest.findings.append(make(INVALID, f"invalid python_requires {value!r}: {error}", path, range_))
        return
    manifest.requires_python = (value, path, range_)
