"""Reads ``pyproject.toml``: PEP 621 dependencies and extras, PEP 735 dependency groups, Poetry's and uv's
declarations, each with the exact range of its text in the file.

The section readers are ``pep621``, ``poetry`` and ``uv``; ``document`` holds the parsed file they share and
``positions`` finds where each value is in the text (``tomllib`` keeps no positions).
"""

from __future__ import annotations

import sys
from pathlib import Path

from venvsense.declarations import Manifest
from venvsense.declarations.pyproject.document import INVALID, PyprojectDocument, pep508_declaration
from venvsense.declarations.pyproject.pep621 import read_dependency_groups, read_project
from venvsense.declarations.pyproject.uv import apply_uv_sources, read_uv_dev_dependencies
from venvsense.findings import Finding, make
from venvsense.text import START, Position, Range, lazy_pattern
from venvsense.tomlfile import TomlFile, read_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["pep508_declaration", "read_pyproject", "translate_poetry_constraint"]


def translate_poetry_constraint(constraint: str) -> str:
    """Poetry's ``constraint`` as a PEP 440 specifier (``declarations.pyproject.poetry``, imported on first use:
    most projects are not Poetry's)."""
    from venvsense.declarations.pyproject.poetry import translate_poetry_constraint as translate

    return translate(constraint)


def read_pyproject(path: Path, text: str | None = None, *, parsed: TomlFile | None = None) -> Manifest:
    """Read the declarations of one ``pyproject.toml`` (``text``: an unsaved editor buffer of it; ``parsed``:
    the file already read and parsed by ``venvsense.tomlfile.read_toml``, used instead of ``text``).

    Ranges: a PEP 508 string's range is its content without the quotes; a Poetry dependency's range is its
    whole ``name = constraint`` entry (or its ``[tool.poetry.dependencies.name]`` header when it is written
    as a table of its own). Never raises: what cannot be understood becomes a VS206 finding.
    """
    path = path.absolute()
    if parsed is None:
        parsed = read_toml(path, text)
    manifest = Manifest(path=path, files=[path])
    if parsed.text is None:
        manifest.findings.append(make(INVALID, f"{path.name} {parsed.unreadable}", path, START))
        return manifest
    if parsed.data is None:
        if isinstance(parsed.error, RecursionError):
            manifest.findings.append(make(INVALID, f"{path.name} is nested too deeply to be read", path, START))
        else:
            manifest.findings.append(_toml_error(path, parsed.text, parsed.error))
        return manifest
    document = PyprojectDocument(path, parsed.text, parsed.data, manifest)
    project = document.table(("project",))
    if project is not None:
        read_project(document, project)
    read_dependency_groups(document)
    if document.table(("tool",)) is not None:
        read_uv_dev_dependencies(document)
        if document.lookup(("tool", "hatch", "envs")) is not None:
            from venvsense.declarations.pyproject.hatch import read_hatch_envs  # only for Hatch's projects

            read_hatch_envs(document, ("tool", "hatch"))
        if document.table(("tool", "poetry")) is not None:
            from venvsense.declarations.pyproject.poetry import read_poetry  # only for Poetry projects

            read_poetry(document, project)
        apply_uv_sources(document)  # last: it gives a source only to declarations that have none yet
    _read_hatch_toml(path.parent / "hatch.toml", manifest)
    return manifest


def _read_hatch_toml(path: Path, manifest: Manifest) -> None:
    """The environments of Hatch's own configuration file beside ``pyproject.toml`` (``declarations.pyproject.
    hatch``): part of the manifest, its declarations in that file; a file that does not parse says nothing
    here (Hatch would say it)."""
    if not path.is_file():
        return
    parsed = read_toml(path)
    if parsed.text is None or parsed.data is None or not isinstance(parsed.data.get("envs"), dict):
        return
    from venvsense.declarations.pyproject.hatch import read_hatch_envs

    manifest.files.append(path)
    read_hatch_envs(PyprojectDocument(path, parsed.text, parsed.data, manifest), ())


# ---------------------------------------------------------------------------------------------------------
# Broken TOML

_TOML_AT = lazy_pattern(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_AT_END = lazy_pattern(r"\s*\(at end of document\)\s*$")


def _toml_error(path: Path, text: str, error: Exception | None) -> Finding:
    """The VS206 finding for text ``tomllib`` refused, at the line and column it names."""
    message = str(error)
    lines = text.split("\n")
    line, column = 0, 0
    if match := _TOML_AT().search(message):
        line = min(max(int(match.group(1)) - 1, 0), len(lines) - 1)
        column = min(max(int(match.group(2)) - 1, 0), len(lines[line].rstrip("\r")))
        message = message[: match.start()]
    elif match := _TOML_AT_END().search(message):
        line = len(lines) - 1
        column = len(lines[line])
        message = message[: match.start()] + " at the end of the file"
    elif not isinstance(error, tomllib.TOMLDecodeError):
        message = "a value cannot be read: " + message.split(";")[0]
    end = max(column, len(lines[line].rstrip("\r\n").rstrip()))
    return make(INVALID, f"{path.name} is not valid TOML: {message}", path,
                Range(Position(line, column), Position(line, end)))
