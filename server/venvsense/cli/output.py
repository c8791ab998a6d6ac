"""What the command line prints: a finding as JSON or as one concise line, the environment as JSON, which
findings are one problem, and the one way the CLI shows a path relative to a folder."""

from __future__ import annotations

import json
import os
from json.encoder import encode_basestring_ascii as _quote
from pathlib import Path
from typing import Any, TextIO

from venvsense.findings import Finding, problem_key
from venvsense.imports.notebook import NOTEBOOK_SUFFIX, read_notebook
from venvsense.model import paths

SCHEMA = 1  # the version of the JSON documents ``check`` and ``show`` print (docs: the CLI's JSON contract)



def relative_path(path: Path, base: Path) -> str:
    """How the CLI shows a path: relative to ``base``, with ``..`` steps when outside it."""
    return paths.relative_path(path, base, climb=True)


def shown_path(path: Path, cwd: Path) -> str:
    """How the text output shows a path a person reads: relative to where they ran the command (``..`` steps
    when close by), else absolute with the home folder as ``~``."""
    shown = relative_path(path, cwd)
    if shown.count("..") <= 2 and not os.path.isabs(shown):
        return shown
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home + os.sep) else text


def _position(line: int, column: int) -> dict[str, int]:
    return {"line": line + 1, "column": column + 1}


def notebook_cell(finding: Finding) -> tuple[int, int] | None:
    """For a finding in a notebook: its cell's number (1-based, as Jupyter counts cells) and the 0-based line of
    its start in that cell; ``None`` elsewhere."""
    if finding.file.suffix != NOTEBOOK_SUFFIX:
        return None
    return read_notebook(finding.file).cell_of(finding.range.start.line)


def finding_json(finding: Finding, root: Path) -> dict[str, Any]:
    """One finding of ``check --format json`` (1-based positions; the file relative to the project root; in a
    notebook, ``cell`` and lines counted in that cell)."""
    start, end = finding.range.start, finding.range.end
    cell = notebook_cell(finding)
    shift = start.line - cell[1] if cell is not None else 0
    found: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": relative_path(finding.file, root),
        "range": {
            "start": _position(start.line - shift, start.column),
            "end": _position(end.line - shift, end.column),
        },
        "package": finding.package,
        "set": finding.declaration_set,
        "problem": problem_key(finding),
    }
    if cell is not None:
        found["cell"] = cell[0]
    return found


def location(finding: Finding, cwd: Path) -> str:
    """``path:line:column`` of a finding (1-based; the path relative to ``cwd``); in a notebook
    ``path:cell N:line:column``, the line counted in that cell."""
    start = finding.range.start
    cell = notebook_cell(finding)
    if cell is not None:
        return f"{relative_path(finding.file, cwd)}:cell {cell[0]}:{cell[1] + 1}:{start.column + 1}"
    return f"{relative_path(finding.file, cwd)}:{start.line + 1}:{start.column + 1}"


def message_for_people(finding: Finding, cwd: Path) -> str:
    """A finding's message as the text formats print it: a venv path it names (VS102, VS104) relative to where
    the command was run, like every other path of the text output (JSON keeps the message as it is)."""
    named = finding.data.get("environment")
    message = finding.message
    if isinstance(named, str) and os.path.isabs(named) and named in message:
        message = message.replace(named, shown_path(Path(named), cwd))
    return message


def finding_line(finding: Finding, cwd: Path) -> str:
    """The concise format of one finding, for tools and editors' problem matchers:
    ``path:line:column: CODE message`` (1-based; path relative to cwd)."""
    return f"{location(finding, cwd)}: {finding.code} {message_for_people(finding, cwd)}"


def write_json(projects: list[dict[str, Any]], out: TextIO) -> None:
    """The JSON document of ``check`` and ``show``: the schema version and one entry per project. Encoded whole and
    written at once: ``json.dump`` would write each of its ~100,000 pieces (on 1,400 findings) to the stream."""
    out.write(dumps({"schema": SCHEMA, "projects": projects}) + "\n")


class _Other(Exception):
    """A value ``dumps`` leaves to ``json``."""


def dumps(document: Any) -> str:
    """``json.dumps(document, indent=2)``, the same text, twice as fast on a check's document (the encoder of
    ``json`` is pure Python when it indents): dicts with ``str`` keys, lists, tuples and the exact JSON scalar
    types (``str``, ``int``, ``float``, ``bool``, ``None``) are written here, strings by ``json``'s own C
    function; a document holding anything else (a subclass, another key type, a cycle) is left to ``json``."""
    try:
        return _encode(document, "\n")
    except (_Other, RecursionError):
        return json.dumps(document, indent=2)


def _encode(value: Any, pad: str) -> str:
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = pad + "  "
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Other
            if type(item) is str:
                parts.append(f"{_quote(key)}: {_quote(item)}")
            else:
                parts.append(f"{_quote(key)}: {_encode(item, inner)}")
        return "{" + inner + ("," + inner).join(parts) + pad + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = pad + "  "
        return "[" + inner + ("," + inner).join([_encode(item, inner) for item in value]) + pad + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value in (_INFINITY, -_INFINITY):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise _Other


_INFINITY = float("inf")
